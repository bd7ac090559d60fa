"""Near-duplicate clustering on the UPR recommendations: time, clusters and precision.

The corpus is ../shared/data/upr-recommendations.csv (31,468 recommendations; never copied
into the repository; set UPR_CSV to use another copy), parsed directly: the algorithm needs
no database. A UPR review (one state under review in one session) plays the part of a
consultation: many states send it near-identical recommendations, and the app clusters
within a consultation, so precision is measured per review. One run over all 31k texts at
once is timed too, as the worst case of one huge consultation.

Precision is estimated two independent ways:

* **Manual labels.** tests/fixtures/upr-duplicate-labels.csv holds 150 pairs (CSV data-row
  numbers, 1 = the first row after the header) drawn with a fixed seed from clusters at
  threshold 0.5, 30 from each similarity band (<0.5 inside a chained cluster, 0.5-0.6,
  0.6-0.7, 0.7-0.8, >=0.8), each labelled by hand: ``same`` = 1 when the two ask for the
  same action on the same object, so one decision answers both ("Consider ratifying X" =
  "Ratify X" = "Accede to X"; urgency and asides ignored), 0 when the object or action
  differs or one asks for more (the Convention vs its Optional Protocol; X vs X and Y).
  Precision at a threshold = the share of "same" in each band, weighted by how many of that
  threshold's within-cluster pairs fall in the band (a stratified estimate).
* **Decision agreement.** The state under review answered each recommendation (Accepted or
  Noted). Pairs one decision could answer should have received the same answer; random
  pairs from the same review agree at the baseline rate printed, so agreement far above it
  means precise clusters (it understates precision: states sometimes accept "consider
  ratifying X" and only note "ratify X").

When the file is absent, a generated corpus of the same size with planted near-duplicates
is timed and precision is skipped.
"""
from __future__ import annotations

import csv
import itertools
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from consultations.duplicates import WORD_SHINGLES, ClusteringStats, find_clusters, normalise, similarity

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATA = Path(os.environ.get("UPR_CSV", SHARED_DATA / "upr-recommendations.csv"))
LABELS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "upr-duplicate-labels.csv"
THRESHOLDS = (0.6, 0.7, 0.8)
DEFAULT_THRESHOLD = 0.7
BANDS = ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01))
CORPUS_SIZE = 31_468


def load_upr(path: Path = DATA) -> list[dict]:
    """The CSV rows, each with its data-row number as ``row`` (1 = first after the header)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [dict(row, row=number) for number, row in enumerate(csv.DictReader(handle), start=1)]


def reviews(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """Rows grouped by review: the state under review and the session."""
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        grouped[(row["To"], row["Session"])].append(row)
    return grouped


def cluster_reviews(rows: list[dict], threshold: float):
    """Clusters of data-row numbers, found review by review."""
    clusters = []
    for group in reviews(rows).values():
        clusters += find_clusters([(row["row"], row["Text"]) for row in group], threshold)
    return clusters


def load_labels(path: Path = LABELS) -> dict[tuple[int, int], bool]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {(int(r["row_a"]), int(r["row_b"])): r["same"] == "1" for r in csv.DictReader(handle)}


def band_of(score: float) -> tuple[float, float]:
    return next(band for band in BANDS if band[0] <= score < band[1])


def labelled_precision(rows: list[dict], labels: dict[tuple[int, int], bool]) -> dict[tuple[float, float], tuple[int, int]]:
    """(same, labelled) per similarity band, with similarity as the algorithm computes it now."""
    texts = {row["row"]: row["Text"] for row in rows}
    per_band: dict[tuple[float, float], list[int]] = {band: [0, 0] for band in BANDS}
    for (a, b), same in labels.items():
        counts = per_band[band_of(similarity(texts[a], texts[b], WORD_SHINGLES))]
        counts[0] += same
        counts[1] += 1
    return {band: (same, total) for band, (same, total) in per_band.items()}


def cluster_pairs(clusters) -> list[tuple[int, int]]:
    return [tuple(sorted(pair)) for c in clusters for pair in itertools.combinations(c.members, 2)]


def estimate_precision(rows, clusters, band_precision, identical: bool = True) -> tuple[float, int]:
    """Stratified precision of the within-cluster pairs (``identical=False``: leaving out pairs
    whose texts are the same words, which are right by construction), and the number of pairs."""
    texts = {row["row"]: row["Text"] for row in rows}
    counts: Counter = Counter()
    for a, b in cluster_pairs(clusters):
        if identical or normalise(texts[a]) != normalise(texts[b]):
            counts[band_of(similarity(texts[a], texts[b], WORD_SHINGLES))] += 1
    total = sum(counts.values())
    weighted = sum(n * band_precision[band] for band, n in counts.items())
    return (weighted / total if total else 1.0), total


def agreement(rows, clusters) -> float:
    answer = {row["row"]: row["Response"] for row in rows}
    pairs = cluster_pairs(clusters)
    return sum(answer[a] == answer[b] for a, b in pairs) / len(pairs) if pairs else 1.0


def baseline_agreement(rows, samples_per_review: int = 200, seed: int = 1) -> float:
    rnd = random.Random(seed)
    agree = total = 0
    for group in reviews(rows).values():
        if len(group) < 2:
            continue
        for _ in range(samples_per_review):
            a, b = rnd.sample(group, 2)
            agree += a["Response"] == b["Response"]
            total += 1
    return agree / total


def size_distribution(clusters) -> str:
    buckets = Counter()
    for c in clusters:
        buckets["2" if c.size == 2 else "3-5" if c.size <= 5 else "6-10" if c.size <= 10 else "11+"] += 1
    return ", ".join(f"{name}: {buckets[name]}" for name in ("2", "3-5", "6-10", "11+"))


def generated_corpus(size: int = CORPUS_SIZE, seed: int = 7) -> list[dict]:
    """Recommendation-like texts, a fifth of them light edits of another, in 250 reviews."""
    rnd = random.Random(seed)
    vocabulary = ("ratify convention protocol rights women children torture detention prison housing education "
                  "health justice police inspection probation report publish standard review training staff "
                  "independent monitoring data access family support community services").split()
    rows: list[dict] = []
    for number in range(1, size + 1):
        if rows and rnd.random() < 0.2:
            words = rnd.choice(rows[-200:])["Text"].split()
            words[rnd.randrange(len(words))] = rnd.choice(vocabulary)
        else:
            words = [rnd.choice(vocabulary) for _ in range(rnd.randint(8, 30))]
        rows.append({"row": number, "Text": " ".join(words), "To": f"state {number % 250}", "Session": "1",
                     "Response": "Accepted"})
    return rows


def main() -> None:
    real = DATA.exists()
    if real:
        rows = load_upr()
        print(f"Near-duplicate clustering: {len(rows):,} UPR recommendations ({DATA.name}), word 3-shingles, "
              "64-value MinHash")
    else:
        rows = generated_corpus()
        print(f"Near-duplicate clustering: {DATA} is absent; timing a generated corpus of {len(rows):,} texts "
              "(precision needs the real data)")

    stats = ClusteringStats()
    start = time.perf_counter()
    find_clusters([(row["row"], row["Text"]) for row in rows], DEFAULT_THRESHOLD, stats=stats)
    elapsed = time.perf_counter() - start
    print(f"  all {len(rows):,} as one consultation, threshold {DEFAULT_THRESHOLD}: {elapsed:.1f} s "
          f"({stats.distinct_texts:,} distinct texts, {stats.bands} bands x {stats.rows} rows, "
          f"{stats.candidate_pairs:,} candidate pairs, {stats.verified_pairs:,} verified, {stats.clusters:,} clusters)")

    groups = reviews(rows)
    band_precision = None
    if real and LABELS.exists():
        per_band = labelled_precision(rows, load_labels())
        band_precision = {band: (same / total if total else 1.0) for band, (same, total) in per_band.items()}
        print("  manual labels (same / labelled) by pair similarity: " + ", ".join(
            f"{lo:.1f}-{min(hi, 1.0):.1f}: {same}/{total}" for (lo, hi), (same, total) in per_band.items()))
        print(f"  decision agreement of random pairs within a review (baseline): {baseline_agreement(rows):.1%}")
    print(f"  per review ({len(groups)} reviews, as the app clusters per consultation):")
    for threshold in THRESHOLDS:
        start = time.perf_counter()
        clusters = cluster_reviews(rows, threshold)
        elapsed = time.perf_counter() - start
        clustered = sum(c.size for c in clusters)
        line = (f"    threshold {threshold}: {elapsed:4.1f} s, {len(clusters):,} clusters holding {clustered:,} "
                f"recommendations (sizes {size_distribution(clusters)}; largest {max((c.size for c in clusters), default=0)})")
        print(line)
        if band_precision is not None:
            precision, pairs = estimate_precision(rows, clusters, band_precision)
            near, near_pairs = estimate_precision(rows, clusters, band_precision, identical=False)
            print(f"      precision {precision:.1%} of {pairs:,} within-cluster pairs ({near:.1%} of the {near_pairs:,} "
                  f"that are not word for word the same); decision agreement {agreement(rows, clusters):.1%}")


if __name__ == "__main__":
    main()
