"""Search index: full rebuild rate and query latency on the UPR recommendations.

The corpus is the 31,468 real UPR recommendations in /work/shared/data (never copied
into the repository; set UPR_CSV to use another copy). When the file is absent we say
so and generate a corpus of the same size from a small vocabulary.

Latency compares ``SearchIndex.search`` (query parsing, filters, three facets, date or
relevance order, highlights, a searcher opened per call) with raw Whoosh on the same
index: ``searcher.search(parser.parse(q), limit=20, groupedby=<same facets>)`` on a
searcher opened once, the cheapest way Whoosh can answer.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import sorting
from whoosh.qparser import MultifieldParser

from search_index import SearchIndex

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # beside the project, never in it
DATA = Path(os.environ.get("UPR_CSV", SHARED_DATA / "upr-recommendations.csv"))
CORPUS_SIZE = 31_468
RUNS = 20
FACETS = ("outcome", "consultation", "standard")
TARGET_BUILD_SECONDS = 60
TARGET_P95_RATIO = 1.5

# (label, text for SearchIndex.search, filters, equivalent raw Whoosh query string)
QUERIES = [
    ("term: women", "women", None, "women"),
    ("term: torture", "torture", None, "torture"),
    ("term (stemmed): housing", "housing", None, "housing"),
    ("term: education", "education", None, "education"),
    ("two terms: children labour", "children labour", None, "children labour"),
    ("phrase: death penalty", '"death penalty"', None, '"death penalty"'),
    ("phrase: human rights defenders", '"human rights defenders"', None, '"human rights defenders"'),
    ("phrase: freedom of expression", '"freedom of expression"', None, '"freedom of expression"'),
    ("AND: women AND violence", "women AND violence", None, "women AND violence"),
    ("OR: torture OR ill-treatment", "torture OR ill-treatment", None, "torture OR ill-treatment"),
    ("NOT: children NOT labour", "children NOT labour", None, "children NOT labour"),
    ("field: outcome:noted death penalty", "outcome:noted death penalty", None, "outcome:noted death penalty"),
    ("field: respondent:france torture", "respondent:france torture", None, "respondent:france torture"),
    ("field: consultation:upr-session-5 women", "consultation:upr-session-5 women", None,
     "consultation:upr-session-5 women"),
    ("field: standard phrase + word", 'standard:"death penalty" abolish', None, 'standard:"death penalty" abolish'),
    ("3 facets clicked: women", "women", {"outcome": "accepted", "org_type": "weog", "standard": "Women's rights"},
     "women outcome:accepted org_type:weog standard:\"women's rights\""),
    ("3 facets clicked: ratify", "ratify",
     {"outcome": "noted", "consultation": "upr-session-19", "standard": "International instruments"},
     "ratify outcome:noted consultation:upr-session-19 standard:\"international instruments\""),
    ("3 facets clicked, no text", "", {"outcome": "accepted", "org_type": "africa", "standard": "Justice"},
     "outcome:accepted org_type:africa standard:justice"),
    ("malformed: \"death penalty (unclosed)", '"death penalty', None, "death penalty"),
    ("sort by date: detention", "detention", None, "detention"),
]
SORT_BY_DATE = {"sort by date: detention", "3 facets clicked, no text"}


def session_date(session: int) -> dt.datetime:
    """UPR sessions began in April 2008, three a year; near enough for ordering."""
    months = 3 + (session - 1) * 4
    return dt.datetime(2008 + months // 12, months % 12 + 1, 1)


def upr_documents(path: Path) -> Iterator[dict]:
    """One recommendation document per CSV row, streamed."""
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            session = int(row["Session"] or 0)
            yield {
                "id": f"recommendation:{number}",
                "kind": "recommendation",
                "title": f"From {row['From']} to {row['To']}",
                "body": row["Text"],
                "respondent": row["From"],
                "org_type": row["From-Rgrp"],
                "outcome": row["Response"].lower(),
                "consultation": f"upr-session-{session}",
                "standards": [tag.strip() for tag in row["Issue"].split(",") if tag.strip()],
                "date": session_date(session),
                "public": True,
                "version": 1,
            }


def synthetic_documents(count: int = CORPUS_SIZE) -> Iterator[dict]:
    """A same-sized stand-in built from a vocabulary, for when the real file is absent."""
    rng = random.Random(2024)
    words = ("women rights children torture education death penalty housing detention justice labour "
             "violence ratify convention ensure strengthen measures national plan freedom expression "
             "defenders discrimination minorities health poverty trafficking migrants police prison").split()
    filler = "the of and to in for with on all its by as".split()
    tags = ["Women's rights", "Rights of the Child", "Justice", "Torture and other CID treatment", "Detention",
            "Death penalty", "International instruments", "Labour", "Right to housing", "Migrants"]
    states = ["France", "Brazil", "Norway", "Kenya", "India", "Chile", "Japan", "Ghana", "Canada", "Egypt"]
    groups = ["WEOG", "GRULAC", "Africa", "Asia", "EEG"]
    for number in range(1, count + 1):
        session = rng.randint(1, 20)
        text = " ".join(rng.choice(words) if rng.random() < 0.6 else rng.choice(filler) for _ in range(22))
        yield {
            "id": f"recommendation:{number}", "kind": "recommendation",
            "title": f"From {rng.choice(states)} to {rng.choice(states)}", "body": text.capitalize() + ".",
            "respondent": rng.choice(states), "org_type": rng.choice(groups),
            "outcome": "accepted" if rng.random() < 0.74 else "noted",
            "consultation": f"upr-session-{session}", "standards": rng.sample(tags, rng.randint(1, 3)),
            "date": session_date(session), "public": True, "version": 1,
        }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_build(ix: SearchIndex, docs: Iterator[dict]) -> None:
    start = time.perf_counter()
    count = ix.rebuild(docs)
    seconds = time.perf_counter() - start
    verdict = "ok" if seconds < TARGET_BUILD_SECONDS else "MISSED"
    print(f"full rebuild: {count:,} docs in {seconds:.1f} s = {count / seconds:,.0f} docs/s "
          f"(target under {TARGET_BUILD_SECONDS} s: {verdict})")


def bench_queries(ix: SearchIndex) -> None:
    raw_searcher = ix._ix.searcher()  # the bench may look inside: raw Whoosh on the very same index
    parser = MultifieldParser(["title", "body", "extra"], raw_searcher.schema)
    raw_facets = {name: sorting.FieldFacet(name, allow_overlap=True, maptype=sorting.Count) for name in FACETS}
    date_order = sorting.FieldFacet("date", reverse=True)

    def ours(label, text, filters):
        sort = "date" if label in SORT_BY_DATE else "relevance"
        return ix.search(text, filters=filters, facets=FACETS, sort=sort).total

    def raw(label, text):
        sortedby = date_order if label in SORT_BY_DATE else None
        results = raw_searcher.search(parser.parse(text), limit=20, groupedby=raw_facets, sortedby=sortedby)
        [hit["id"] for hit in results]
        return len(results)

    print(f"\n{'query':<42} {'hits':>6} {'ours p50':>9} {'p95':>7} {'raw p50':>8} {'p95':>7} {'p95 x':>6}")
    all_ours, all_raw = [], []
    try:
        for label, text, filters, raw_text in QUERIES:
            ours(label, text, filters), raw(label, raw_text)  # warm caches once
            ours_ms, raw_ms = [], []
            for _ in range(RUNS):  # interleaved, so drift in machine load hits both alike
                start = time.perf_counter()
                hits = ours(label, text, filters)
                ours_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                raw(label, raw_text)
                raw_ms.append((time.perf_counter() - start) * 1000)
            all_ours += ours_ms
            all_raw += raw_ms
            print(f"{label:<42} {hits:>6,} {statistics.median(ours_ms):>7.1f}ms {percentile(ours_ms, .95):>5.1f}ms "
                  f"{statistics.median(raw_ms):>6.1f}ms {percentile(raw_ms, .95):>5.1f}ms "
                  f"{percentile(ours_ms, .95) / percentile(raw_ms, .95):>5.2f}")
    finally:
        raw_searcher.close()
    ratio = percentile(all_ours, .95) / percentile(all_raw, .95)
    print(f"{'all queries (n=' + str(len(all_ours)) + ' each)':<42} {'':>6} {statistics.median(all_ours):>7.1f}ms "
          f"{percentile(all_ours, .95):>5.1f}ms {statistics.median(all_raw):>6.1f}ms {percentile(all_raw, .95):>5.1f}ms "
          f"{ratio:>5.2f}")
    verdict = "ok" if ratio <= TARGET_P95_RATIO else "MISSED"
    print(f"SearchIndex.search p95 is {ratio:.2f}x raw Whoosh p95 (target within {TARGET_P95_RATIO}x: {verdict})")
    print("(ours keeps facet columns per open segment; raw Whoosh re-reads each one on every search, "
          "~10 ms per facet here)")


def bench_after_commit(ix: SearchIndex) -> None:
    """The first search after a commit opens a fresh searcher and re-reads facet columns."""
    update_ms, search_ms = [], []
    for run in range(10):
        start = time.perf_counter()
        ix.update([{"id": "recommendation:bench", "kind": "recommendation", "body": f"Bench update {run}",
                    "public": True, "version": run}])
        update_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        ix.search("women", facets=FACETS)
        search_ms.append((time.perf_counter() - start) * 1000)
    print(f"\nupdate of one document (commit): p50 {statistics.median(update_ms):.1f} ms, "
          f"max {max(update_ms):.1f} ms; first search after it: p50 {statistics.median(search_ms):.1f} ms, "
          f"max {max(search_ms):.1f} ms (n=10)")


def main() -> None:
    print("Search index (Whoosh) on the UPR recommendations")
    if DATA.exists():
        docs, source = upr_documents(DATA), f"{DATA} (real data)"
    else:
        docs, source = synthetic_documents(), f"generated vocabulary corpus ({DATA} is absent)"
    print(f"corpus: {source}")
    with tempfile.TemporaryDirectory() as folder:
        ix = SearchIndex(folder)
        bench_build(ix, docs)
        bench_queries(ix)
        bench_after_commit(ix)
        ix.close()


if __name__ == "__main__":
    main()
