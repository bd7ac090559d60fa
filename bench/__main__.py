"""Run every benchmark and print its figures: `make bench` or `python -m bench`."""
from . import (bulk_publish, duplicates, extraction, formats, imports, outcome_page, recommendation_list, search,
               search_page, startup)

if __name__ == "__main__":
    extraction.main()
    print()
    formats.main()
    print()
    search.main()
    print()
    search_page.main()
    print()
    recommendation_list.main()
    print()
    outcome_page.main()
    print()
    imports.main()
    print()
    duplicates.main()
    print()
    bulk_publish.main()
    print()
    startup.main()
