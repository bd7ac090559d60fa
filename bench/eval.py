"""How well extraction finds recommendations in real documents: `make eval`.

Each document in ``tests/corpus`` has a ``<name>.gold.json`` written by reading it (the format
is in ``tests/corpus/README.md``). The document is read, cleaned and extracted the way the
``extract`` command does it, with the gold's respondent as ``--respondent``, and every extracted
item (top-level or child) is compared with the gold:

- an extracted item *matches* a gold item when at least ``THRESHOLD`` of the content words of the
  gold excerpt (or of one of its ``also`` excerpts: the same recommendation repeated in a summary or
  a conclusion) are in the item's text; gold and extracted items are paired one to one, best
  score first, so one item spanning two recommendations finds only one of them;
- a gold child is found whether it was extracted as a child or as an item of its own;
- an extracted item that matches no gold item is *false*: a *duplicate* when it matches a gold
  item already found (the same recommendation extracted twice), a *trap* when it matches text the
  gold says must not be extracted; one matching an ``optional`` passage (borderline text that is
  acceptable either way) counts neither way.

Recall = gold items found / gold items; precision = extracted items that found a gold item /
extracted items (less the optional ones). Totals add the counts over documents, not the ratios.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from consultations.cleaning import clean_text
from consultations.extract import extract_recommendations
from consultations.readers import read_document

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "tests" / "corpus"
THRESHOLD = 0.7
STYLES = ("numbered", "prose", "pdf", "markdown", "support", "none")
#: Words too common to tell two passages apart.
STOPWORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the their this to was we"
    " were which will with our us".split()
)


def words(text: str) -> list[str]:
    """Lower-case words and numbers of ``text``; punctuation, markup and line breaks fall away."""
    return re.findall(r"[a-z0-9]+", text.lower())


def content_words(text: str) -> frozenset[str]:
    found = frozenset(words(text)) - STOPWORDS
    return found or frozenset(words(text))


def coverage(excerpt: frozenset[str], item: frozenset[str]) -> float:
    """Share of the excerpt's words that the extracted item holds."""
    return len(excerpt & item) / len(excerpt)


# --- gold -----------------------------------------------------------------------------


@dataclass
class GoldItem:
    id: str
    text: str
    also: list[str] = field(default_factory=list)
    parent: str | None = None

    def passages(self) -> list[frozenset[str]]:
        return [content_words(text) for text in [self.text, *self.also]]


@dataclass
class Gold:
    path: Path  # the gold file
    document: Path
    respondent: str
    style: str
    items: list[GoldItem]
    optional: list[str]
    traps: list[str]

    @property
    def name(self) -> str:
        return self.document.name


class GoldError(ValueError):
    """A gold file that cannot be used, with the file and what to fix."""


def _flatten(entries: list[dict], parent: str | None, where: Path) -> list[GoldItem]:
    items = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("text"):
            raise GoldError(f"{where.name}: every recommendation needs an 'id' and a 'text' excerpt ({entry!r})")
        items.append(GoldItem(str(entry["id"]), entry["text"], list(entry.get("also", [])), parent))
        items.extend(_flatten(entry.get("children", []), str(entry["id"]), where))
    return items


def load_gold(path: Path) -> Gold:
    """Read one ``<name>.gold.json``; the document is beside it, or at ``path`` from the project root."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise GoldError(f"{path.name}: not readable JSON ({error})") from None
    for key in ("document", "respondent", "style", "recommendations"):
        if key not in data:
            raise GoldError(f"{path.name}: '{key}' is missing")
    if data["style"] not in STYLES:
        raise GoldError(f"{path.name}: style {data['style']!r} is not one of {', '.join(STYLES)}")
    document = PROJECT / data["path"] if "path" in data else path.parent / data["document"]
    items = _flatten(data["recommendations"], None, path)
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise GoldError(f"{path.name}: recommendation ids repeat")
    return Gold(
        path, document, data["respondent"], data["style"], items,
        [entry["text"] for entry in data.get("optional", [])],
        [entry["text"] for entry in data.get("traps", [])],
    )


def load_corpus(corpus: Path = CORPUS) -> list[Gold]:
    return [load_gold(path) for path in sorted(corpus.glob("*.gold.json"))]


def misquoted(gold: Gold) -> list[str]:
    """Excerpts (gold, also, optional, traps) whose words do not stand in that order in the
    document: a typo in the gold, which would make an item unfindable."""
    text = " " + " ".join(words(gold.document.read_text(encoding="utf-8", errors="replace"))) + " "
    excerpts = [t for item in gold.items for t in (item.text, *item.also)] + gold.optional + gold.traps
    return [excerpt for excerpt in excerpts if f" {' '.join(words(excerpt))} " not in text]


# --- extraction -------------------------------------------------------------------------


@dataclass
class Extracted:
    key: str
    text: str
    parent: str | None


def extract_document(path: Path, respondent: str) -> list[Extracted]:
    """What ``flask --app tracker extract PATH --respondent NAME`` finds, without a database."""
    document = read_document(path.name, path.read_bytes())
    found = extract_recommendations(clean_text(document.text), self_names=[respondent])
    return [Extracted(item.key, item.text, item.parent) for item in found]


# --- matching ---------------------------------------------------------------------------


@dataclass
class Result:
    gold: Gold
    extracted: list[Extracted]
    found: dict[str, Extracted]  # gold id -> the item that found it
    false: list[tuple[Extracted, str]]  # (item, "duplicate of 3" / "trap" / "")
    optional: list[Extracted]
    seconds: float

    @property
    def missed(self) -> list[GoldItem]:
        return [item for item in self.gold.items if item.id not in self.found]

    @property
    def counted(self) -> int:
        """Extracted items that count for precision (all but the optional ones)."""
        return len(self.extracted) - len(self.optional)

    @property
    def nested(self) -> int:
        """Found gold children extracted as children of the item that found their gold parent."""
        by_id = {item.id: item for item in self.gold.items}
        return sum(
            1 for gold_id, item in self.found.items()
            if by_id[gold_id].parent in self.found and item.parent == self.found[by_id[gold_id].parent].key
        )


def match(gold: Gold, extracted: list[Extracted], seconds: float = 0.0) -> Result:
    passages = {item.id: item.passages() for item in gold.items}
    texts = [content_words(item.text) for item in extracted]
    scores = {}
    for e, item_words in enumerate(texts):
        for gold_id, alternatives in passages.items():
            score = max(coverage(passage, item_words) for passage in alternatives)
            if score >= THRESHOLD:
                scores[e, gold_id] = score
    order = {item.id: n for n, item in enumerate(gold.items)}
    found: dict[str, Extracted] = {}
    used: set[int] = set()
    for (e, gold_id), _ in sorted(scores.items(), key=lambda pair: (-pair[1], pair[0][0], order[pair[0][1]])):
        if e not in used and gold_id not in found:
            found[gold_id] = extracted[e]
            used.add(e)
    optional_words = [content_words(text) for text in gold.optional]
    trap_words = [content_words(text) for text in gold.traps]
    false, optional = [], []
    for e, item in enumerate(extracted):
        if e in used:
            continue
        if any(coverage(passage, texts[e]) >= THRESHOLD for passage in optional_words):
            optional.append(item)
        elif duplicates := [gold_id for (i, gold_id) in scores if i == e]:
            false.append((item, f"duplicate of {duplicates[0]}"))
        elif any(coverage(passage, texts[e]) >= THRESHOLD for passage in trap_words):
            false.append((item, "trap"))
        else:
            false.append((item, ""))
    return Result(gold, extracted, found, false, optional, seconds)


def evaluate(corpus: Path = CORPUS) -> list[Result]:
    results = []
    for gold in load_corpus(corpus):
        start = time.perf_counter()
        extracted = extract_document(gold.document, gold.respondent)
        results.append(match(gold, extracted, time.perf_counter() - start))
    return results


# --- figures ----------------------------------------------------------------------------


@dataclass
class Totals:
    gold: int = 0
    found: int = 0
    extracted: int = 0
    nested: int = 0

    def add(self, result: Result) -> None:
        self.gold += len(result.gold.items)
        self.found += len(result.found)
        self.extracted += result.counted
        self.nested += result.nested

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.found / self.extracted if self.extracted else 1.0


def summary(results: list[Result]) -> dict:
    """The figures the test holds (tests/corpus/floors.json) and the README quotes."""
    total = Totals()
    for result in results:
        total.add(result)
    clinks = next((r for r in results if r.gold.name == "clinks-2019.txt"), None)
    return {
        "recall": round(total.recall, 3),
        "precision": round(total.precision, 3),
        "clinks_found": len(clinks.found) if clinks else 0,
        "empty_documents_items": sum(len(r.extracted) for r in results if not r.gold.items),
    }


def shorten(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_report(results: list[Result], details: bool = True) -> None:
    print(f"{'document':<42} {'style':<9} {'gold':>4} {'found':>5} {'extr':>5} {'recall':>6} {'prec':>6}")
    for result in results:
        totals = Totals()
        totals.add(result)
        print(
            f"{result.gold.name:<42} {result.gold.style:<9} {totals.gold:>4} {totals.found:>5} "
            f"{totals.extracted:>5} {totals.recall:>6.2f} {totals.precision:>6.2f}"
        )
        if details:
            for item in result.missed:
                print(f"    missed {item.id:<6} {shorten(item.text)}")
            for item, why in result.false:
                print(f"    false  {item.key:<6} {shorten(item.text)}" + (f"  [{why}]" if why else ""))
    print()
    print(f"{'style':<10} {'docs':>4} {'gold':>5} {'found':>5} {'extr':>5} {'recall':>6} {'prec':>6} {'nested':>6}")
    groups = {style: [r for r in results if r.gold.style == style] for style in STYLES}
    groups["total"] = results
    for name, members in groups.items():
        if not members:
            continue
        totals = Totals()
        for result in members:
            totals.add(result)
        print(
            f"{name:<10} {len(members):>4} {totals.gold:>5} {totals.found:>5} {totals.extracted:>5} "
            f"{totals.recall:>6.2f} {totals.precision:>6.2f} {totals.nested:>6}"
        )
    figures = summary(results)
    print()
    print(
        f"recall {figures['recall']:.3f}  precision {figures['precision']:.3f}  "
        f"Clinks {figures['clinks_found']} of 18  items on documents without recommendations "
        f"{figures['empty_documents_items']}  ({sum(r.seconds for r in results):.2f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of documents and *.gold.json")
    parser.add_argument("--brief", action="store_true", help="figures only, without missed and false items")
    parser.add_argument("--json", action="store_true", help="print the summary figures as JSON")
    args = parser.parse_args(argv)
    try:
        golds = load_corpus(args.corpus)
    except GoldError as error:
        print(f"eval: {error}", file=sys.stderr)
        return 2
    wrong = {gold.path.name: misquoted(gold) for gold in golds}
    if any(wrong.values()):
        for name, excerpts in wrong.items():
            for excerpt in excerpts:
                print(f"eval: {name}: excerpt not in the document: {excerpt!r}", file=sys.stderr)
        return 2
    results = evaluate(args.corpus)
    if args.json:
        print(json.dumps(summary(results), indent=2))
    else:
        print_report(results, details=not args.brief)
    return 0


if __name__ == "__main__":
    sys.exit(main())
