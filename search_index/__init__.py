"""Full-text search over plain documents: Whoosh (via the ``whoosh-reloaded`` distribution), or
PostgreSQL full-text search (``search_index.postgres.PostgresSearchIndex``, same contract).

Knows nothing of Flask or the database models: it takes plain dicts and returns ids in
ranked order; the app renders rows from its database. All ``whoosh`` imports stay here.

Documents (dicts; unknown keys are a ValueError, so typos fail loudly)::

    id          str, unique ("recommendation:12")                        required
    kind        "recommendation" | "response" | "decision" | "action" | "item"   required
    title, body text, stemmed; stored (body gives the highlighted snippet)
    extra       secondary text (internal note): staff searches only; stored for
                highlighting unless the document says store_extra=False
    respondent  name words ("Howard League") for respondent:howard; staff only
    consultation, org_type, outcome       one value each (a slug or code)
    standards   list of codes ("4.1.1") or tags     -> the "standard" field
    status      one value or a list (the status plus "overdue" when overdue)
    date        date or datetime (aware ones are converted to UTC), for sorting
    public      bool; a public search sees only public=True documents
    version     int or str, returned by all_versions() so `check` can compare

Keyword values (facets, filters) are matched case-insensitively and returned lowercased.

API::

    ix = SearchIndex(path, *, write_timeout=2.0, rebuild_timeout=30.0,
                     public_fields=DEFAULT_PUBLIC_FIELDS)
    ix.needs_rebuild -> bool            # stored SCHEMA_VERSION differs from the code's
    ix.update(docs, delete_ids=())      # add/replace by id, one commit; IndexBusy if it can't
    ix.delete(ids)
    ix.rebuild(docs_iterable, *, progress=None) -> int   # fresh index, readers undisturbed
    ix.search(text, *, filters=None, facets=FACET_FIELDS, page=1, pagelen=20,
              sort="relevance" | "date", public_only=False) -> SearchResults
    ix.more_like_this(doc_id, *, top=5, public_only=False) -> [(id, score), ...]
    ix.all_versions() -> {id: version}; ix.doc_count() -> int
    ix.close()                          # close pooled searchers (e.g. at process exit)

SearchResults: ids (this page, ranked), total, page, pages, pagelen, facets
({facet: [(value, count), ...]} over every match, most frequent first), highlights
({id: HTML with matched words in <mark> and everything else escaped}), notice (None, or
a sentence for the user when the query was malformed and searched as plain words).

Query language: words (stemmed: "housing" finds "house"; all must match), "phrases",
AND / OR / NOT (capitals) and brackets, a trailing * for a prefix (hous*), and
``field:value`` / ``field:"two words"`` for kind (alias type), consultation, org_type,
standard, outcome, status, respondent, title and body. ``standard:4.1`` is exactly 4.1;
``standard:4.1*`` is 4.1 and its descendants (4.1.1, 4.1.2.3) but not 4.10. Unknown
fields (``foo:bar``) are plain words; ``field:(a OR b)`` is not supported (write
``field:a OR field:b``). ``filters`` ({field: value or [values]}, e.g. facet clicks)
combine with the text: values of one field OR-ed, fields AND-ed. Sort is by relevance
or by date (newest first); no text = all documents the filters allow, newest first.

Public searches (public_only=True) see public documents only, and only the fields in
``public_fields`` (default: title, body and the facets): ``extra`` and ``respondent`` are
never searched, filtered on or shown, so an internal note cannot be probed.

Writing across processes: one writer at a time through Whoosh's file lock, waited for
``write_timeout`` seconds (``rebuild_timeout`` for a rebuild); then IndexBusy, and the
caller records the ids as dirty for ``sync``; IndexUnwritable (a kind of IndexBusy)
when the folder itself cannot be written (permissions, read-only or full disk). A rebuild holds the lock throughout, so
run ``sync`` after it. Readers never wait: each call uses a pooled searcher that is
replaced whenever a commit has happened. Bump SCHEMA_VERSION when the schema changes;
until the next ``rebuild`` (which writes the new schema), ``update`` raises IndexBusy.

PostgreSQL backend: ``PostgresSearchIndex(engine, audience, public_fields=...)`` keeps one
audience's documents in the ``search_document`` table (created by the app's migrations) and
answers ``search``, ``more_like_this``, ``all_versions``, ``doc_count``, ``update``, ``delete`` and
``rebuild`` exactly as above; ``update``, ``delete`` and ``rebuild`` take ``connection=`` to write in
the caller's transaction (a rollback takes the documents back). It never raises IndexBusy and
``needs_rebuild`` is always False (the table's shape belongs to the migrations).
"""
from .index import IndexBusy, IndexUnwritable, SearchIndex, SearchResults
from .postgres import PostgresSearchIndex
from .schema import DEFAULT_PUBLIC_FIELDS, FACET_FIELDS, SCHEMA_VERSION

__all__ = ["SearchIndex", "PostgresSearchIndex", "SearchResults", "IndexBusy", "IndexUnwritable", "SCHEMA_VERSION", "FACET_FIELDS", "DEFAULT_PUBLIC_FIELDS"]
