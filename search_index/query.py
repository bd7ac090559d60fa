"""Turning what someone typed into a Whoosh query, without ever failing.

The language: words (stemmed, all must match), "phrases", AND / OR / NOT in capitals,
brackets, ``field:value`` and ``field:"a phrase"`` for the filter fields (``type:`` is
``kind:``), and a trailing ``*`` for a prefix (``hous*``; ``standard:4.1*`` is 4.1 and
its descendants). A small recursive-descent parser builds the Whoosh query directly,
so no user text ever reaches Whoosh's own query syntax. When the text is malformed
(unclosed quote, unmatched bracket, an operator with nothing to join, ``standard:``
with no value) we search for its words on their own and say so in ``notice``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as q

from .schema import ALIASES, FACET_FIELDS, HIERARCHICAL

MAX_QUERY_CHARS = 1000
MAX_DEPTH = 20  # brackets and NOTs inside each other; deeper is surely not meant

NOTICES = {
    "quote": "Your search had an unclosed quote, so we searched for the words on their own.",
    "bracket": "Your search had a bracket that was not matched, so we searched for the words on their own.",
    "operator": (
        "Your search had AND, OR or NOT without a word on both sides, "
        "so we searched for the words on their own."
    ),
    "empty_field": "Your search had “{name}:” with nothing after it, so we searched for the other words on their own.",
    "nesting": "Your search had too many brackets or NOTs inside each other, so we searched for the words on their own.",
    "too_long": f"Your search was very long, so we used only its first {MAX_QUERY_CHARS:,} characters.",
}

_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "＂": '"', "\x00": " "})

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<fieldphrase>(?P<fpname>[A-Za-z_]+):"(?P<fptext>[^"]*)")
    | (?P<phrase>"(?P<ptext>[^"]*)")
    | (?P<quote>")
    | (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)
_FIELD_WORD = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
OPERATORS = {"AND", "OR", "NOT"}


class Malformed(Exception):
    """Internal: the token stream is not a valid query; ``kind`` picks the notice."""

    def __init__(self, kind: str, name: str = ""):
        super().__init__(kind)
        self.kind, self.name = kind, name


@dataclass(frozen=True)
class Leaf:
    field: str | None  # None: the free-text fields
    text: str
    phrase: bool = False


@dataclass
class Parsed:
    """The query to run (None: no words, so browse) and what to highlight."""

    query: q.Query | None
    notice: str | None = None
    terms: dict[str, set[str]] = field(default_factory=dict)
    prefixes: dict[str, set[str]] = field(default_factory=dict)


def tokenize(text: str, allowed: frozenset[str]) -> tuple[list, list[Malformed]]:
    """Tokens are Leaf objects, operator strings, "(" and ")"; problems are collected, not raised."""
    tokens, problems = [], []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "space":
            continue
        if kind in ("lparen", "rparen"):
            tokens.append(m.group())
        elif kind == "quote":
            problems.append(Malformed("quote"))
        elif kind == "phrase":
            if m.group("ptext").strip():
                tokens.append(Leaf(None, m.group("ptext"), phrase=True))
        elif kind == "fieldphrase":
            name = ALIASES.get(m.group("fpname").lower(), m.group("fpname").lower())
            if name not in allowed:
                tokens += [Leaf(None, m.group("fpname")), Leaf(None, m.group("fptext"), phrase=True)]
            elif not m.group("fptext").strip():
                problems.append(Malformed("empty_field", m.group("fpname")))
            else:
                tokens.append(Leaf(name, m.group("fptext"), phrase=True))
        else:
            word = m.group()
            fm = _FIELD_WORD.fullmatch(word)
            name = ALIASES.get(fm.group(1).lower(), fm.group(1).lower()) if fm else None
            if word in OPERATORS:
                tokens.append(word)
            elif fm and name in allowed:
                if fm.group(2).strip(":*? "):
                    tokens.append(Leaf(name, fm.group(2)))
                else:
                    problems.append(Malformed("empty_field", fm.group(1)))
            else:
                tokens.append(Leaf(None, word.replace(":", " ")))
    problems.sort(key=lambda p: p.kind != "quote")  # an unclosed quote explains the rest
    return tokens, problems


class WhooshOps:
    """How the parser combines leaves; another backend (search_index/postgres.py) passes its own."""

    And, Or, Not, Null = q.And, q.Or, q.Not, q.NullQuery

    @staticmethod
    def normalize(query):
        return query.normalize()


class _Parser:
    """or := and (OR and)* ; and := unary ((AND)? unary)* ; unary := NOT unary | ( or ) | leaf"""

    def __init__(self, tokens, build, ops=WhooshOps):
        self.tokens, self.pos, self.build, self.depth, self.ops = tokens, 0, build, 0, ops

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def parse(self):
        result = self.parse_or(negated=False)
        if self.peek() is not None:  # only a stray ")" can stop parse_or early
            raise Malformed("bracket")
        return result

    def parse_or(self, negated):
        parts = [self.parse_and(negated)]
        while self.peek() == "OR":
            self.take()
            parts.append(self.parse_and(negated))
        return parts[0] if len(parts) == 1 else self.ops.Or(parts)

    def parse_and(self, negated):
        parts = [self.parse_unary(negated)]
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.parse_unary(negated))
        return parts[0] if len(parts) == 1 else self.ops.And(parts)

    def parse_unary(self, negated):
        token = self.take()
        if isinstance(token, Leaf):
            return self.build(token, negated)
        if token not in ("NOT", "("):
            raise Malformed("bracket" if token == ")" else "operator")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Malformed("nesting")
        if token == "NOT":
            if self.peek() == "NOT":
                raise Malformed("operator")
            result = self.ops.Not(self.parse_unary(not negated))
        else:
            if self.peek() == ")":
                raise Malformed("bracket")
            result = self.parse_or(negated)
            if self.take() != ")":
                raise Malformed("bracket")
        self.depth -= 1
        return result


class QueryBuilder:
    """Builds Whoosh queries against one schema for a staff or a public search."""

    ops = WhooshOps

    def __init__(self, schema, text_fields: tuple[str, ...], allowed_fields: frozenset[str]):
        self.schema = schema
        self.text_fields = tuple(f for f in text_fields if f in schema)
        self.allowed = allowed_fields

    def parse(self, text) -> Parsed:
        text = "" if text is None else str(text)
        notice = None
        if len(text) > MAX_QUERY_CHARS:
            text, notice = text[:MAX_QUERY_CHARS], NOTICES["too_long"]
        text = text.translate(_SMART_QUOTES)
        parsed = Parsed(None)
        tokens, problems = tokenize(text, self.allowed)
        try:
            if problems:
                raise problems[0]
            if any(isinstance(t, Leaf) for t in tokens):
                parsed.query = _Parser(tokens, lambda leaf, neg: self.leaf(leaf, neg, parsed), self.ops).parse()
            elif tokens:
                raise Malformed("bracket" if set(tokens) <= {"(", ")"} else "operator")
        except Malformed as problem:
            parsed = Parsed(None)  # start again: no half-collected highlight terms
            leaves = [self.leaf(t, False, parsed) for t in tokens if isinstance(t, Leaf)]
            parsed.query = self.ops.And(leaves) if leaves else None
            notice = " ".join(filter(None, [notice, NOTICES[problem.kind].format(name=problem.name)]))
        if parsed.query is not None:
            parsed.query = self.ops.normalize(parsed.query)
        parsed.notice = notice
        return parsed

    def leaf(self, leaf: Leaf, negated: bool, parsed: Parsed) -> q.Query:
        if leaf.field in FACET_FIELDS:
            return self.keyword(leaf.field, leaf.text)
        fields = (leaf.field,) if leaf.field else self.text_fields
        return self.words(fields, leaf.text, leaf.phrase, None if negated else parsed)

    def words(self, fields, text: str, phrase: bool, parsed: Parsed | None) -> q.Query:
        """Free text in each field (stemmed by the field's analyzer), OR-ed across fields."""
        stripped = text.strip()
        if not phrase and stripped.endswith("*") and re.fullmatch(r"\w{2,}\*+", stripped):
            prefix = stripped.rstrip("*").lower()
            for f in fields:
                if parsed is not None:
                    parsed.prefixes.setdefault(f, set()).add(prefix)
            return q.Or([q.Prefix(f, prefix) for f in fields])
        text = re.sub(r"[*?]", " ", text)
        per_field = []
        for f in fields:
            words = [t.text for t in self.schema[f].analyzer(text, mode="query")]
            if not words:
                continue
            if parsed is not None:
                parsed.terms.setdefault(f, set()).update(words)
            if len(words) == 1:
                per_field.append(q.Term(f, words[0]))
            elif phrase:
                per_field.append(q.Phrase(f, words))
            else:
                per_field.append(q.And([q.Term(f, w) for w in words]))
        return q.Or(per_field) if per_field else q.NullQuery

    def keyword(self, name: str, value) -> q.Query:
        """An exact facet value; ``value*`` is a prefix (a code and its descendants for standards)."""
        value = str(value).strip()
        prefix = value.endswith("*")
        values = list(self.schema[name].process_text(value.strip("*? "), mode="query")) if name in self.schema else []
        if not values:
            return q.NullQuery
        if not prefix:
            return q.Or([q.Term(name, v) for v in values])
        if name in HIERARCHICAL:
            code = values[0].rstrip(".")
            return q.Or([q.Term(name, code), q.Prefix(name, code + ".")])
        return q.Prefix(name, values[0])

    def filters(self, filters) -> list[q.Query]:
        """One query per field of a {field: value or [values]} dict: values OR-ed, fields AND-ed."""
        out = []
        for raw_name, values in (filters or {}).items():
            name = ALIASES.get(str(raw_name).lower(), str(raw_name).lower())
            if name not in self.allowed:
                continue  # unknown or not allowed here (e.g. respondent in a public search)
            if isinstance(values, (str, bytes, int)) or values is None:
                values = [values]
            parts = []
            for value in values:
                if value is None or not str(value).strip():
                    continue
                if name in FACET_FIELDS:
                    part = self.keyword(name, value)
                else:
                    part = self.words((name,), str(value), phrase=True, parsed=None)
                if part is not self.ops.Null:
                    parts.append(part)
            if parts:
                out.append(self.ops.Or(parts))
        return out
