"""Standards frameworks as data: read a YAML or CSV file, check it, import it.

A framework file is written by hand (or exported from a spreadsheet) by the people who own the
standards, so reading it reports every problem at once, each with its line number and item, and
nothing reaches the database until the whole file is sound. Re-importing a file updates items in
place, matched by code, so links from recommendations to items survive a correction; items that
disappear from the file are retired, never deleted.

One module per job: ``spec`` (what a file describes, errors), ``reading`` (load and check a file),
``yaml_format`` and ``csv_format`` (the two file formats), ``importing`` (into the database, and
look-ups). Everything public is importable from ``consultations.frameworks``.
"""

from .spec import (
    CHILD_SEPARATORS, CSV_BOOLEANS, CSV_COLUMNS, CSV_REQUIRED, FrameworkFileError,
    FrameworkSpec, ITEM_FIELDS, ImportReport, ItemSpec, MAX_LENGTHS, UnknownFramework,
)
from .reading import extends, load_framework_file
from .importing import current_items, frameworks_for, frameworks_with_item_counts, import_framework

__all__ = [
    "FrameworkFileError",
    "FrameworkSpec",
    "ImportReport",
    "ItemSpec",
    "UnknownFramework",
    "current_items",
    "extends",
    "frameworks_for",
    "frameworks_with_item_counts",
    "import_framework",
    "load_framework_file",
]
