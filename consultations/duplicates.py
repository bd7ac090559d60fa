"""Near-duplicate detection: the same point made in (nearly) the same words.

Pure Python, no database and no network models, so it runs the same in a script, a test
or a CLI job. The pipeline is the classic one:

1. **Normalise** text (Unicode NFKC, case-folded, words only) so punctuation, case and
   spacing never make two texts differ.
2. **Shingle** it into overlapping word n-grams (or character n-grams), each hashed to a
   64-bit integer. Texts shorter than one shingle become a single shingle of all their words.
3. **MinHash** each shingle set into ``num_perm`` values. Instead of ``num_perm`` modular
   hash functions evaluated in Python per shingle, every distinct shingle gets its
   ``num_perm`` independent hash values in one call to SHAKE-128 (a seeded extendable-output
   hash); a text's signature is then the element-wise minimum, done by ``map(min, zip(...))``
   in C. Same estimator, several times faster in pure Python. Only band hashes are kept.
4. **LSH banding**: signatures are cut into ``bands`` of ``rows``; texts sharing any band
   are candidates. Bands and rows are chosen from the threshold so that a pair at the
   threshold becomes a candidate with probability >= 99%.
5. **Verify** every candidate pair by the exact Jaccard similarity of the shingle sets
   (so MinHash never decides on its own) and keep pairs at or above the threshold.
6. **Union-find** joins verified pairs into clusters; each cluster proposes as primary its
   medoid (the member most similar to the others), and scores every member against it.

Identical texts (after normalisation) are grouped before hashing, so a template repeated
five hundred times costs one signature. Everything is deterministic: hashing is seeded,
and clusters and members come out in input order.

Why not ``datasketch``: it is good, but pulls in numpy and scipy for what is ~150 lines
here, and the exact verification step (which decides precision) would still be ours.
"""
from __future__ import annotations

import functools
import hashlib
import re
import struct
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

DEFAULT_SEED = 20190412
DEFAULT_NUM_PERM = 64
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")


def words(text: str) -> list[str]:
    """The words of ``text``, NFKC-normalised and case-folded; punctuation dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text or "").casefold())


def normalise(text: str) -> str:
    """One canonical spelling of ``text``: its words joined by single spaces."""
    return " ".join(words(text))


@functools.lru_cache(maxsize=262_144)
def _word_id(word: str) -> int:
    """A stable 64-bit id per word (Python's own ``hash`` of a str changes between runs)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


@dataclass(frozen=True)
class Shingling:
    """How a text becomes a set of shingles: ``word`` n-grams or ``char`` n-grams of ``size``.

    Each shingle is identified by the hash of a tuple of integers (word ids or code
    points), which, unlike the hash of a string, is the same in every run.
    """

    kind: str = "word"
    size: int = 3

    def __post_init__(self):
        if self.kind not in ("word", "char"):
            raise ValueError(f"Shingles are 'word' or 'char', not '{self.kind}'.")
        if self.size < 1:
            raise ValueError("The shingle size must be 1 or more.")

    def shingles(self, text: str) -> frozenset[int]:
        tokens = words(text)
        if not tokens:
            return frozenset()
        if self.kind == "word":
            ids = [_word_id(token) for token in tokens]
        else:
            ids = [ord(character) for character in " ".join(tokens)]
        n = self.size
        return frozenset(hash(tuple(ids[i:i + n])) for i in range(max(1, len(ids) - n + 1)))

    @property
    def label(self) -> str:
        return f"{self.kind} {self.size}-shingles"


WORD_SHINGLES = Shingling("word", 3)


def jaccard(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> float:
    """|A ∩ B| / |A ∪ B|; two empty sets are not similar (nothing to compare)."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def similarity(first: str, second: str, shingling: Shingling = WORD_SHINGLES) -> float:
    """Exact Jaccard similarity of two texts' shingle sets."""
    return jaccard(shingling.shingles(first), shingling.shingles(second))


def choose_bands(threshold: float, num_perm: int = DEFAULT_NUM_PERM, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) with ``bands * rows <= num_perm``: the most rows per band (fewest false
    candidates) for which a pair exactly at ``threshold`` still shares a band with
    probability ``recall``, that is 1 - (1 - t^rows)^bands >= recall."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold ** rows) ** bands >= recall:
            best = (bands, rows)
    return best


class MinHasher:
    """MinHash signatures: each shingle's ``num_perm`` hash values come from one seeded
    SHAKE-128 call, unpacked and reduced by element-wise ``min`` in C."""

    def __init__(self, num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED):
        self.num_perm = num_perm
        self._seed = seed.to_bytes(8, "little", signed=False)
        self._format = struct.Struct(f"<{num_perm}I")

    def signature(self, shingles: Iterable[int]) -> tuple[int, ...]:
        seed, size, unpack, shake = self._seed, self._format.size, self._format.unpack, hashlib.shake_128
        rows = [unpack(shake(seed + s.to_bytes(8, "little", signed=True)).digest(size)) for s in shingles]
        if not rows:
            return ()
        if len(rows) == 1:
            return rows[0]
        return tuple(map(min, zip(*rows)))


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller index leads, so results do not depend on the order pairs arrive in
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


@dataclass
class Cluster:
    """Items that make the same point. ``scores`` are each member's exact similarity to the
    proposed ``primary`` (1.0 for the primary); ``members`` keep the input order."""

    members: list[Hashable]
    primary: Hashable
    scores: dict[Hashable, float]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def lowest_score(self) -> float:
        return min(self.scores.values())


@dataclass
class ClusteringStats:
    """What a run did, for the command's report and the benchmark."""

    items: int = 0
    distinct_texts: int = 0
    bands: int = 0
    rows: int = 0
    candidate_pairs: int = 0
    verified_pairs: int = 0
    clusters: int = 0
    clustered_items: int = 0
    sizes: dict[int, int] = field(default_factory=dict)


Progress = Callable[[str, int, int], None]


def find_clusters(
    items: Iterable[tuple[Hashable, str]],
    threshold: float = 0.7,
    *,
    shingling: Shingling = WORD_SHINGLES,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    stats: ClusteringStats | None = None,
) -> list[Cluster]:
    """Clusters of two or more items whose texts are near-duplicates.

    ``items`` are ``(key, text)`` pairs with distinct keys. Two items are joined when the
    exact Jaccard similarity of their shingle sets is at least ``threshold``; clusters are
    the connected components of those pairs. ``progress(stage, done, total)`` is called as
    the work goes on, so a command can show a progress bar.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"The threshold is a similarity between 0 and 1 (for example 0.7), not {threshold}.")
    keys: list[Hashable] = []
    texts: list[str] = []
    for key, text in items:
        keys.append(key)
        texts.append(text)
    stats = stats if stats is not None else ClusteringStats()
    stats.items = len(keys)
    report = progress or (lambda stage, done, total: None)

    # Identical texts (after normalisation) share one representative.
    distinct: dict[frozenset[int], int] = {}
    owner: list[int] = []
    sets: list[frozenset[int]] = []
    for index, text in enumerate(texts):
        shingles = shingling.shingles(text)
        if not shingles:
            owner.append(-1)  # nothing to compare: never clustered
            continue
        rep = distinct.setdefault(shingles, len(sets))
        if rep == len(sets):
            sets.append(shingles)
        owner.append(rep)
        if index % 1000 == 999:
            report("shingles", index + 1, len(texts))
    report("shingles", len(texts), len(texts))
    stats.distinct_texts = len(sets)

    bands, rows = choose_bands(threshold, num_perm)
    stats.bands, stats.rows = bands, rows
    hasher = MinHasher(bands * rows, seed)
    band_keys: list[list[int]] = [[] for _ in range(bands)]  # only band hashes are kept, not signatures
    for index, shingles in enumerate(sets):
        signature = hasher.signature(shingles)
        for band in range(bands):
            band_keys[band].append(hash(signature[band * rows:(band + 1) * rows]))
        if index % 1000 == 999:
            report("signatures", index + 1, len(sets))
    report("signatures", len(sets), len(sets))

    candidates: set[tuple[int, int]] = set()
    for band, keys_of_band in enumerate(band_keys):
        buckets: dict[int, list[int]] = defaultdict(list)
        for index, key in enumerate(keys_of_band):
            buckets[key].append(index)
        for bucket in buckets.values():
            if len(bucket) > 1:
                for i, a in enumerate(bucket):
                    for b in bucket[i + 1:]:
                        candidates.add((a, b))
        band_keys[band] = []
        report("bands", band + 1, bands)
    stats.candidate_pairs = len(candidates)

    union = _UnionFind(len(sets))
    verified = 0
    lengths = [len(s) for s in sets]
    for done, (a, b) in enumerate(sorted(candidates), start=1):
        la, lb = lengths[a], lengths[b]
        if min(la, lb) < threshold * max(la, lb):
            continue  # Jaccard can be no higher than the ratio of the sizes
        if jaccard(sets[a], sets[b]) >= threshold:
            union.union(a, b)
            verified += 1
        if done % 10000 == 0:
            report("verify", done, len(candidates))
    report("verify", len(candidates), len(candidates))
    stats.verified_pairs = verified

    groups: dict[int, list[int]] = defaultdict(list)
    for index, rep in enumerate(owner):
        if rep >= 0:
            groups[union.find(rep)].append(index)
    clusters = []
    for members in groups.values():
        if len(members) < 2:
            continue
        clusters.append(_cluster([keys[i] for i in members], [sets[owner[i]] for i in members]))
    order = {key: i for i, key in enumerate(keys)}
    clusters.sort(key=lambda c: order[c.members[0]])
    stats.clusters = len(clusters)
    stats.clustered_items = sum(c.size for c in clusters)
    sizes: dict[int, int] = defaultdict(int)
    for c in clusters:
        sizes[c.size] += 1
    stats.sizes = dict(sorted(sizes.items()))
    return clusters


def _cluster(keys: Sequence[Hashable], sets: Sequence[frozenset[int]]) -> Cluster:
    """Propose the medoid as primary: most similar on average to the others (identical texts
    count once each); ties go to the earliest member."""
    distinct: list[frozenset[int]] = []
    weight: dict[frozenset[int], int] = defaultdict(int)
    for s in sets:
        if s not in weight:
            distinct.append(s)
        weight[s] += 1
    best, best_score = distinct[0], -1.0
    if len(distinct) > 1:
        for candidate in distinct:
            total = sum(weight[other] * (1.0 if other is candidate else jaccard(candidate, other))
                        for other in distinct)
            if total > best_score + 1e-12:
                best, best_score = candidate, total
    primary = keys[list(sets).index(best)]
    scores = {key: (1.0 if s == best else jaccard(s, best)) for key, s in zip(keys, sets)}
    return Cluster(members=list(keys), primary=primary, scores=scores)


# ---------------------------------------------------------------------------
# Campaigns: whole responses written from one template
# ---------------------------------------------------------------------------

CAMPAIGN_SHINGLES = Shingling("word", 5)
CAMPAIGN_THRESHOLD = 0.5
# A template letter is longer than this; shorter responses (one recommendation each, say) are
# compared as recommendations instead, so the same point is not proposed twice.
CAMPAIGN_MIN_WORDS = 40


def sentences(text: str) -> list[str]:
    """Sentences and list items of ``text``, stripped, in order (empty ones dropped)."""
    return [part.strip() for part in _SENTENCE_END.split(text or "") if part and part.strip()]


@dataclass
class Variation:
    """How one member of a campaign differs from its template: sentences it adds (its own
    words) and how many template sentences it leaves out."""

    added: list[str]
    omitted: int
    similarity: float

    @property
    def identical(self) -> bool:
        return not self.added and not self.omitted


def variation(template: str, text: str, shingling: Shingling = CAMPAIGN_SHINGLES) -> Variation:
    """The sentences of ``text`` that are not in ``template`` (compared normalised, so a
    changed comma is no variation), and the number of template sentences missing."""
    template_sentences = {normalise(s) for s in sentences(template)} - {""}
    own = sentences(text)
    own_normalised = {normalise(s) for s in own}
    added, seen = [], set()
    for sentence in own:
        key = normalise(sentence)
        if key and key not in template_sentences and key not in seen:
            added.append(sentence)
            seen.add(key)
    omitted = len(template_sentences - own_normalised)
    return Variation(added=added, omitted=omitted, similarity=similarity(template, text, shingling))


@dataclass
class CampaignGroup:
    """Responses written from one template: ``canonical`` is the member closest to the
    template (the most common text, or the one made most of shared wording)."""

    members: list[Hashable]
    canonical: Hashable
    variations: dict[Hashable, Variation]

    @property
    def size(self) -> int:
        return len(self.members)


def find_campaigns(
    items: Iterable[tuple[Hashable, str]],
    threshold: float = CAMPAIGN_THRESHOLD,
    *,
    min_size: int = 2,
    min_words: int = CAMPAIGN_MIN_WORDS,
    shingling: Shingling = CAMPAIGN_SHINGLES,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> list[CampaignGroup]:
    """Groups of whole responses written from one template, each with its canonical text
    and every member's variation.

    Whole responses are long, so word 5-shingles and a lower Jaccard threshold than for
    single recommendations find a template even when each supporter adds a paragraph.
    Responses shorter than ``min_words`` are left to recommendation clustering.
    """
    items = [(key, text) for key, text in items if len(words(text)) >= min_words]
    texts = dict(items)
    clusters = find_clusters(items, threshold, shingling=shingling, seed=seed, progress=progress)
    groups = []
    for cluster in clusters:
        if cluster.size < min_size:
            continue
        canonical = _canonical(cluster.members, texts, shingling)
        template = texts[canonical]
        groups.append(CampaignGroup(
            members=cluster.members,
            canonical=canonical,
            variations={key: variation(template, texts[key], shingling) for key in cluster.members},
        ))
    return groups


def _canonical(members: Sequence[Hashable], texts: dict, shingling: Shingling) -> Hashable:
    """The most common exact text if any text is shared; otherwise the member whose shingles
    are most widely shared (the template with the least personal wording). Ties: earliest."""
    counts: dict[str, int] = defaultdict(int)
    for key in members:
        counts[normalise(texts[key])] += 1
    top = max(counts.values())
    if top > 1:
        return next(key for key in members if counts[normalise(texts[key])] == top)
    sets = {key: shingling.shingles(texts[key]) for key in members}
    frequency: dict[int, int] = defaultdict(int)
    for s in sets.values():
        for shingle in s:
            frequency[shingle] += 1
    best, best_score = members[0], -1.0
    for key in members:
        s = sets[key]
        score = sum(frequency[x] for x in s) / len(s) if s else 0.0
        if score > best_score + 1e-12:
            best, best_score = key, score
    return best


__all__ = [
    "CAMPAIGN_MIN_WORDS",
    "CAMPAIGN_SHINGLES",
    "CAMPAIGN_THRESHOLD",
    "CampaignGroup",
    "Cluster",
    "ClusteringStats",
    "MinHasher",
    "Shingling",
    "Variation",
    "WORD_SHINGLES",
    "choose_bands",
    "find_campaigns",
    "find_clusters",
    "jaccard",
    "normalise",
    "sentences",
    "similarity",
    "variation",
    "words",
]
