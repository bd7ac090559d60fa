"""Run every benchmark and print its figures: `make bench` or `python -m bench`."""
from . import (bulk_publish, duplicates, extraction, formats, imports, outcome_page, pages_at_scale, recommendation_list,
               search, search_backends, search_page, startup)

if __name__ == "__main__":
    extraction.main()
    print()
    formats.main()
    print()
    search.main()
    print()
    search_backends.main()
    print()
    search_page.main()
    print()
    recommendation_list.main()
    print()
    pages_at_scale.main(["--scale", "31k"])
    pages_at_scale.main(["--scale", "314k", "--no-search"])  # a Whoosh index of 314k takes tens of minutes
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
