"""The package map in the README ("How the code is laid out"), checked by walking every import.

Each rule says which package may import which; a violation names the file and the import, so
whoever breaks a rule sees where. Imports are read from the source (``ast``), including imports
inside functions, which is where a layering shortcut usually hides.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import PROJECT

ROOT = PROJECT
STAFF_AREAS = sorted(p.name for p in (ROOT / "tracker" / "staff").iterdir() if (p / "__init__.py").exists())


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative imports made absolute."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def violations(package: str, forbidden, root: Path = ROOT) -> list[str]:
    """Every import in ``package`` for which ``forbidden(importer, imported)`` is true."""
    found = []
    for path in sorted((root / package).rglob("*.py")):
        importer = module_name(path, root)
        for line, imported in imports_of(path, root):
            if forbidden(importer, imported):
                found.append(f"{path.relative_to(root)}:{line} imports {imported}")
    return sorted(set(found))


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_domain_imports_neither_the_web_app_nor_flask():
    assert violations("consultations", lambda _, imported: any(
        within(imported, p) for p in ("tracker", "flask", "flask_sqlalchemy", "flask_wtf", "wtforms"))) == []


def test_the_search_engine_package_imports_nothing_of_ours():
    assert violations("search_index", lambda _, imported: any(
        within(imported, p) for p in ("tracker", "consultations", "flask"))) == []


def test_no_staff_area_imports_another():
    def other_area(importer, imported):
        mine = importer.split(".")[2] if within(importer, "tracker.staff") and importer.count(".") >= 2 else None
        if mine is None or not within(imported, "tracker.staff") or imported.count(".") < 2:
            return False
        return imported.split(".")[2] != mine

    assert violations("tracker/staff", other_area) == []


def test_the_web_kit_imports_no_area():
    """tracker.web is what the areas share: it may use the domain, never a staff or public area."""
    assert violations("tracker/web", lambda _, imported: any(
        within(imported, p) for p in ("tracker.staff", "tracker.public", "tracker.auth", "tracker.commands",
                                      "tracker.jobs"))) == []


def test_commands_and_jobs_import_no_page():
    """The CLI and the background jobs run without a request: they share rules with the pages
    through the domain and tracker's own modules (limits, indexing), never through a view."""
    for package in ("tracker/commands", "tracker/jobs"):
        assert violations(package, lambda _, imported: any(
            within(imported, p) for p in ("tracker.staff", "tracker.public", "tracker.auth"))) == []


def test_public_pages_import_no_staff_area():
    assert violations("tracker/public", lambda _, imported: within(imported, "tracker.staff")) == []


@pytest.mark.parametrize("area", STAFF_AREAS)
def test_each_staff_area_has_its_views_and_templates(area):
    """An area's path says where a change belongs: its views, and its templates in the same tree."""
    assert (ROOT / "tracker" / "staff" / area / "views.py").exists() or \
        any((ROOT / "tracker" / "staff" / area).glob("*.py"))
    assert (ROOT / "templates" / "staff" / area).is_dir()


def test_the_walker_reports_a_violation_with_its_line(tmp_path):
    """The walker itself: a domain module importing the web app inside a function, or relatively
    across packages, is reported with its line."""
    (tmp_path / "consultations" / "sub").mkdir(parents=True)
    (tmp_path / "consultations" / "__init__.py").write_text("")
    (tmp_path / "consultations" / "sub" / "__init__.py").write_text("")
    (tmp_path / "consultations" / "bad.py").write_text("import os\n\n\ndef f():\n    from tracker.db import db\n")
    (tmp_path / "consultations" / "sub" / "ok.py").write_text("from .. import bad\nfrom ..bad import f\n")
    found = violations("consultations", lambda _, imported: within(imported, "tracker"), root=tmp_path)
    assert found == ["consultations/bad.py:5 imports tracker.db", "consultations/bad.py:5 imports tracker.db.db"]
    relative = [imported for _, imported in imports_of(tmp_path / "consultations" / "sub" / "ok.py", tmp_path)]
    assert relative == ["consultations", "consultations.bad", "consultations.bad", "consultations.bad.f"]


def test_test_files_mirror_the_packages():
    """A test lives in the folder of what it tests (tests/consultations, tests/tracker/staff, ...),
    and every such folder is on pytest's path, so tests can share helpers by module name."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert config["pythonpath"][0] == ".", "the project first, or tests/tracker would shadow tracker"
    on_path = {ROOT / folder for folder in config["pythonpath"]}
    folders = {path.parent for path in (ROOT / "tests").rglob("test_*.py") if "fixtures" not in path.parts}
    assert folders <= on_path, f"not on pytest's pythonpath: {sorted(map(str, folders - on_path))}"
    for folder in folders - {ROOT / "tests"}:
        package = ROOT / folder.relative_to(ROOT / "tests")
        assert (package / "__init__.py").exists(), f"{folder} mirrors no package"
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py") if "fixtures" not in path.parts]
    assert len(names) == len(set(names)), "test file names must be unique (they are imported by name)"

