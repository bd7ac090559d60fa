"""The extractor: reading the blocks section by section (steps 2 to 5), then merging repeats
(step 6) and numbering the result.

Over 500 lines on purpose: most of it is ``_Reader``, one class whose methods share the state of
one reading (the section, the lead-in, the candidates so far); splitting the class would pass that
state around instead."""
from __future__ import annotations

import re

from ..references import ReferenceResolver
from .blocks import Block, split_blocks
from .names import _NOUN_BEFORE, _THEY_SAY, _recommending, _subjects, respondent_names
from .repeats import (
    _DEMONSTRATIVE, _STOPWORD_ROOTS, _merge_repeats, _merge_restatements,
    _merge_section_repeats, _root, _root_words, _stem,
)
from .result import ExtractedRecommendation, _Candidate, _Node
from .rules import (
    ARTICLE_BLOCKS, RESPONSE_OPENING, _AGAIN, _AGREES, _ANAPHORA, _ANNOUNCES, _ANSWERS,
    _ARTICLE_FOOT, _ARTICLE_TOP, _ATTRIBUTED, _CLAUSE_BREAK, _COMPLEMENT, _CONCLUSION,
    _CONTINUES, _DEICTIC, _DESCRIBES, _DISCOURSE, _FIRST_PERSON, _FORESEEN, _HOW_THINGS_ARE,
    _ILLUSTRATES, _IMPERATIVE, _IMPERSONAL, _LIST_LEAD_IN, _NEED_NOUN, _NEUTRAL_LABEL,
    _NOT_ADVICE, _OBLIGATION, _OFFER, _OPENING_CLAUSE, _OWN_DOCUMENT, _PARAGRAPH_NUMBER,
    _PLAIN_VERBS, _POLITE_ASK, _RECOMMENDATION_HEADING, _RELATIVE, _REPORTED, _RESPONDS,
    _RULE_TO_COME, _SECTION_ABOUT, _SECTION_END, _SECTION_QUOTED, _SECTION_RECOMMENDATIONS,
    _SIGNPOST, _STANDING_RULE, _SUMMARY_HEADING, _SUMMING_UP, _SUPPORTS, _TITLE_LABEL, _TURN,
    _WEAK, _WEAK_SELF, _asks, _inverted, _labelled, _own_will, _section_title, _statement,
    describes_law, is_question,
)
from .sentences import (
    _DEFINITION, _INTRODUCES_QUOTATION, _mostly_quoted, is_quoted, masked, own_words,
    split_sentences,
)


# --- the extractor ------------------------------------------------------------------


def extract_recommendations(
    text: str,
    *,
    resolver: ReferenceResolver | None = None,
    self_names: tuple[str, ...] | list[str] = (),
) -> list[ExtractedRecommendation]:
    """All recommendations in ``text`` (cleaned), parents before their children."""
    blocks = split_blocks(text)
    names = respondent_names(blocks, self_names)
    reader = _Reader(text, blocks, names)
    tops = _merge_section_repeats(text, _merge_repeats(text, reader.read()), names)
    tops = _merge_restatements(text, tops, blocks, names)
    return _number(text, tops, resolver or ReferenceResolver([]))


# Outline levels, outermost first: I. → A. → 1. → a. → i. → bullets.
_RANK = {"ROMAN": 0, "LETTER": 1, "number": 2, "letter": 3, "roman": 4, "bullet": 5}


def list_tree(items: list[Block]) -> list[_Node]:
    """Nest a run of list items: deeper indentation nests, and at the same indentation a letter
    under a number, a roman numeral under a letter and a bullet under either do too.

    >>> blocks = split_blocks("1. A\\n\\na) B\\n\\ni) C\\n\\nii) D\\n\\n2. E\\n\\n    - F\\n")
    >>> [(n.block.text, [(c.block.text, [g.block.text for g in c.children]) for c in n.children]) for n in list_tree(blocks)]
    [('A', [('B', ['C', 'D'])]), ('E', [('F', [])])]
    """
    roots: list[_Node] = []
    stack: list[tuple[int, str, _Node]] = []  # (depth, kind, node)
    previous_kind: str | None = None
    previous_label = ""
    for block in items:
        kind = block.marker_kind or "bullet"
        if kind == "letter" and block.label in ("i", "v", "x") and (
            previous_kind in ("roman", "ROMAN")
            or (block.label == "i" and (previous_kind is None or previous_kind in ("letter", "LETTER"))
                and previous_label != "h")
        ):
            kind = "roman"
        if kind in ("letter", "roman") and block.upper:
            kind = kind.upper()
        node = _Node(block)
        while stack and stack[-1][0] > block.depth:
            stack.pop()
        while stack and stack[-1][0] == block.depth:
            if stack[-1][1] == kind:  # a sibling: its parent, if any, is below it
                stack.pop()
                break
            if _RANK[kind] > _RANK[stack[-1][1]]:  # a letter under a number ...
                break
            stack.pop()
        (stack[-1][2].children if stack else roots).append(node)
        stack.append((block.depth, kind, node))
        previous_kind, previous_label = kind, block.label
    return roots


_SECTION_NUMBER = re.compile(r"(?:\d{1,3}(?:\.\d{1,3})*[.)]?|[IVX]{1,5}[.)]|[A-Z][.)])\s+")
_WH_START = re.compile(r"^(?:\d+[.)]?\s+|[IVX]+[.)]\s+)?(?:what|how|why|where|when|which|who|whether)\b", re.I)


class _Reader:
    def __init__(self, text: str, blocks: list[Block], names: set[str]):
        self.text = text
        self.blocks = blocks
        self.recommending = _recommending(names)
        self.urging = _recommending(names, _PLAIN_VERBS)
        self.supporting = _recommending(names, _SUPPORTS)
        self.speaker = re.compile(rf"\b(?:{_subjects(names)})\b")
        self.tops: list[_Candidate] = []
        self.restating = False  # in a conclusion, where recommendations are said again
        self.opening = False  # in a summary at the start, which the body says again at length
        self.argued = False  # an ask was found under a heading of the body
        self.listing: int | None = None  # the list being read, by its first block
        self.section = -1  # the heading being read under, by block
        self.has_summary = self._explicit_summary()
        self.own_rules = self._own_document() or self._voiceless() or self._article()

    def _own_document(self) -> bool:
        """Whether the document is the writer's own report, strategy or guide, not a response
        (``_OWN_DOCUMENT`` in its first lines and nothing there that answers anyone): then only a
        recommendation made in so many words counts."""
        opening = " \n".join(block.text for block in self.blocks[:4])
        return bool(_OWN_DOCUMENT.search(opening)) and not _ANSWERS.search(opening)

    def _article(self) -> bool:
        """Whether the document is an article or a blog post (a byline or "Posted ..." at the top,
        "Sign up to our newsletter" or "Share this" at the foot: ``_ARTICLE_TOP``, ``_ARTICLE_FOOT``)
        that never says it responds to anyone (``_RESPONDS`` in its first blocks): a news post or
        an explainer whose editors say "we" ("As we reported in March, ...") and whose "must"s and
        "should"s tell the reader how things are. Only a recommendation made in so many words counts.
        A post that carries a response ("Today we submitted our response to ...") is read as one."""
        top = [block.text for block in self.blocks[:ARTICLE_BLOCKS]]
        foot = [block.text for block in self.blocks[-ARTICLE_BLOCKS:]]
        furnished = any(_ARTICLE_TOP.match(text) for text in top) or any(_ARTICLE_FOOT.search(text) for text in foot)
        opening = " \n".join(block.text for block in self.blocks[:RESPONSE_OPENING])
        return furnished and not _RESPONDS.search(opening)

    def _voiceless(self) -> bool:
        """Whether nobody speaks in the document: its opening answers no one (``_ANSWERS``) and
        there is no "we", "I", "our", "this comment" or name of the respondent anywhere in its own
        words (a news report, an account of a law, a page of guidance). Its "should"s and "must"s are then nobody's asks; only a summary of
        recommendations or "it is recommended that" counts."""
        if len(self.blocks) < VOICELESS_BLOCKS or _ANSWERS.search(" \n".join(block.text for block in self.blocks[:4])):
            return False  # a snippet; or "Response of X to ...", "Dear ...": someone answers, if impersonally
        return not any(
            self.speaker.search(own) or _FIRST_PERSON.search(own)
            for own in (masked(block.text) for block in self.blocks if block.kind != "quote")
        )

    def _explicit_summary(self) -> bool:
        """Whether the response lists its recommendations in a summary and says each one in so
        many words ("Clinks recommends that ..."): then a "should" in the body is argument for
        them, not another recommendation. A summary of "X should ..." points is not such a list."""
        plain = advice = 0
        inside = False
        for block in self.blocks:
            if block.kind == "heading":
                inside = bool(_SECTION_RECOMMENDATIONS.match(block.text.rstrip(":").strip()))
                continue
            if not inside:
                continue
            said = [own_words(self.text[s:e]) for s, e in split_sentences(block.text, block.start)]
            if any(self.recommending.search(sentence) or _IMPERSONAL.search(sentence) for sentence in said):
                plain += 1
            elif any(self._advises(sentence, speaker=self.speaker) for sentence in said):
                advice += 1
        return plain > 0 and plain >= advice

    def read(self) -> list[_Candidate]:
        section = "body"
        heading: str | None = None
        i = 0
        while i < len(self.blocks):
            block = self.blocks[i]
            if block.kind == "heading":
                if _SECTION_END.match(block.text):
                    break
                section = self._section_of(block.text)
                heading = block.text
                title = block.text.rstrip(":").rstrip("# ")  # (and a Markdown heading's closing marks)
                # A summary before anything of the body is an opening one; after it, it concludes.
                # (Asks in a letter's first paragraphs, before any heading, are not the body.)
                self.opening = bool(_SUMMARY_HEADING.match(title)) and not self.argued
                self.restating = bool(_CONCLUSION.match(block.text)) and not self.opening
                self.section = i
                if _RECOMMENDATION_HEADING.match(block.text):  # "Recommendation 1: The Department should ..."
                    self.tops.append(self._new([(block.start, block.end)], None))
                elif section == "body" and self._heading_asks(title):  # "## iOS must allow third party browser engines"
                    number = _SECTION_NUMBER.match(title)  # ("2. Apple must ...": the number is not its words)
                    start = block.start + (number.end() if number else 0)
                    candidate = self._new([(start, block.start + len(title))], heading)
                    candidate.titled = True
                    self.tops.append(candidate)
                i += 1
            elif section == "quoted" or block.kind == "quote":
                i += 1
            elif section == "about":
                self._read_about(block)
                i += 1
            elif block.kind == "item":
                j = self._list_end(i)
                summary = section == "recommendations"  # a summary's heading says nothing of the topic
                self.listing = i
                self._read_list(list_tree(self.blocks[i:j]), None if summary else heading, summary=summary)
                self.listing = None
                if summary:  # the summary's list is over: what follows is the body again
                    section, heading, self.opening = "body", None, False
                i = j
            else:
                summary = section == "recommendations"
                i = self._read_paragraph(i, None if summary else heading, summary=summary)
        return self.tops

    def _new(self, spans: list[tuple[int, int]], heading: str | None) -> _Candidate:
        self.argued = self.argued or (heading is not None and not self.opening)
        return _Candidate(spans, heading, restates=self.restating, opening=self.opening, listed=self.listing,
                          section=self.section)

    def _heading_asks(self, title: str) -> bool:
        """Whether a heading is itself an ask, said with a modal or by the respondent ("iOS must
        allow third party browser engines", "Vouchers should cover the full cost"), not a topic
        ("Defaults"), a question or clause ("Why parents drive", "What we propose"), a title in
        the imperative ("Preserve Strong API Baselines": a topic as often as an ask) or a summary."""
        return bool(
            len(title.split()) >= 4 and not _WH_START.match(title)  # "What we propose" announces
            and not (_SUMMARY_HEADING.match(title) or _CONCLUSION.match(title) or _section_title(title))
            and (_WEAK.search(title) or self.recommending.search(title))
            and self._is_recommendation([title], summary=False)
        )

    def _read_about(self, block: Block) -> None:
        """A section about the respondent describes it; only a plain ask in it ("We urge the
        department to ...") is a recommendation, or a "should" said of others where the respondent
        is not speaking of itself ("... the health IT ecosystem should prioritize the workflows that
        ...", but not "Our members should be registered charities")."""
        for (start, end), sentence in zip(*self._sentences(block)):
            plain_ask = self.urging.search(sentence) and not _SIGNPOST.search(sentence)
            advice = (
                re.search(r"\bshould\b", sentence, re.I) and not self.speaker.search(sentence)
                and not (self.has_summary or self.own_rules) and self._advises(sentence, speaker=self.speaker)
            )
            if (plain_ask or advice) and not sentence.rstrip().endswith(("?", ":")):
                self.tops.append(self._new([(start, end)], None))

    @staticmethod
    def _section_of(heading: str) -> str:
        heading = heading.rstrip(":").strip()
        if _SECTION_RECOMMENDATIONS.match(heading):
            return "recommendations"
        if _SECTION_ABOUT.match(heading):
            return "about"
        if _SECTION_QUOTED.match(heading):
            return "quoted"
        return "body"

    def _list_end(self, i: int) -> int:
        while i < len(self.blocks) and self.blocks[i].kind == "item":
            i += 1
        return i

    def _sentences(self, block: Block) -> tuple[list[tuple[int, int]], list[str]]:
        """A block's sentence spans, and each sentence in the respondent's own words (quotations
        masked across the whole block, so a quotation of several sentences is masked in each)."""
        spans = split_sentences(block.text, block.start)
        own = masked(block.text)
        return spans, [re.sub("…+", "…", own[s - block.start : e - block.start]) for s, e in spans]

    # Paragraphs: sentences, and the lists (or quotations) their last sentence introduces.
    def _read_paragraph(self, i: int, heading: str | None, *, summary: bool) -> int:
        block = self.blocks[i]
        sentences, texts = self._sentences(block)
        if not texts:
            return i + 1
        restating, self.restating = self.restating, self.restating or bool(_SUMMING_UP.match(texts[0]))
        try:  # "In closing, the Cooperative asks ... once more. We also urge ...": all of it restates
            return self._read_paragraph_sentences(i, heading, sentences, texts, summary=summary)
        finally:
            self.restating = restating

    def _read_paragraph_sentences(self, i, heading, sentences, texts, *, summary: bool) -> int:
        block = self.blocks[i]
        following = self.blocks[i + 1] if i + 1 < len(self.blocks) else None
        if _labelled(texts[0]) == "ask" and not texts[-1].rstrip().endswith(":"):
            self.tops.append(self._new([(block.start, block.end)], heading))  # "Recommendation: ..." is one whole
            return i + 1
        last = texts[-1].rstrip()
        if last.endswith(":") and following is not None and self._introduces_quotation(last):
            self._read_sentences(sentences[:-1], texts[:-1], heading, summary=summary)
            if following.kind == "item":
                return self._list_end(i + 1)  # the quoted list
            return i + 2 if following.kind in ("paragraph", "quote") else i + 1
        if last.endswith(":") and following is not None and following.kind == "item":
            j = self._list_end(i + 1)
            tree = list_tree(self.blocks[i + 1 : j])
            if _ANNOUNCES.match(last) or _LIST_LEAD_IN.search(last) and not self._is_recommendation([last], summary=summary):
                self._read_sentences(sentences[:-1], texts[:-1], heading, summary=summary)
                self.listing = i + 1
                self._read_list(tree, heading, summary=True)
                self.listing = None
                return j
            if self._is_recommendation([last], summary=summary):
                self._read_sentences(sentences[:-1], texts[:-1], heading, summary=summary)
                restating, self.restating = self.restating, self.restating or bool(_SUMMING_UP.match(last))
                before = self.tops[-1] if self.tops else None
                if _ANAPHORA.search(last) and before is not None:
                    parent = before
                elif (before is not None and len(sentences) > 1 and before.spans[0][1] == sentences[-2][1]
                      and re.match(r"(?:they|it|this|these|those|such)\b", last, re.I)):
                    parent = before  # "Providers should be licensed. They should:" is one lead-in
                    parent.spans[0] = (parent.spans[0][0], sentences[-1][1])
                else:
                    parent = self._new([sentences[-1]], heading)
                    self.tops.append(parent)
                self._add_children(parent, tree, heading, lead_in=True)
                self.restating = restating
                return j
        self._read_sentences(sentences, texts, heading, summary=summary)
        return i + 1

    def _introduces_quotation(self, sentence: str) -> bool:
        """A lead-in to someone else's text: "The draft guidance says:", "The law requires that
        gatekeepers:", "The new rules prohibit:", not "We propose:"."""
        return bool(
            (_INTRODUCES_QUOTATION.search(sentence) or describes_law(sentence))
            and not self.recommending.search(sentence)
            and not (_WEAK.search(sentence) and self._advises(sentence, speaker=self.speaker))
            and not re.search(r"\b(?:we|our|i)\b", sentence, re.I)
        )

    # Lists: in a summary every item is a recommendation; elsewhere items are read as sentences.
    def _read_list(self, nodes: list[_Node], heading: str | None, *, summary: bool) -> None:
        for node in nodes:
            block = node.block
            sentences, texts = self._sentences(block)
            kind = self._item_kind(texts, block)
            if kind == "quoted":
                continue
            if kind in ("question", "support"):  # not itself a recommendation; its sub-items may be
                self._read_list(node.children, heading, summary=summary)
                continue
            lead_in = texts[-1].rstrip().endswith(":")
            if summary or _labelled(texts[0]) == "ask":  # "Recommendation: ..." is one whole
                candidate = self._new([(block.start, block.end)], heading)
                self.tops.append(candidate)
                self._add_children(candidate, node.children, heading, lead_in=lead_in)
                continue
            before = len(self.tops)
            self._read_sentences(sentences, texts, heading, summary=False)
            if lead_in and self._introduces_quotation(texts[-1].rstrip()):
                continue  # its sub-items quote someone else's text
            if len(self.tops) > before and self.tops[-1].spans[0][1] >= sentences[-1][1]:
                self._add_children(self.tops[-1], node.children, heading, lead_in=lead_in)
            else:  # the item's last words are not a recommendation: its sub-items stand alone
                self._read_list(node.children, heading, summary=False)

    def _add_children(self, parent: _Candidate, nodes: list[_Node], heading: str | None, *, lead_in: bool,
                      promoted: bool = False) -> None:
        """Sub-points of ``parent``. Items that complete a lead-in ("... so that they:", then "meet
        every quarter;") are sub-points whatever they say. Whole sentences are sub-points only when
        they recommend, if the parent is not a lead-in (they comment on it) or some of their
        siblings recommend (they comment on those). The items under a question are sub-points
        only when they recommend."""
        read = [(node, *self._sentences(node.block)) for node in nodes]
        kinds = [self._item_kind(texts, node.block) for node, _, texts in read]
        recommends = [kind is None and self._is_recommendation(texts, summary=True)
                      for kind, (_, _, texts) in zip(kinds, read)]
        for (node, _, texts), kind, recommending in zip(read, kinds, recommends):
            block = node.block
            if kind == "quoted":
                continue
            comment = not recommending and (promoted or (_statement(block.text) and (not lead_in or any(recommends))))
            if kind in ("question", "support") or comment:
                self._add_children(parent, node.children, heading, lead_in=lead_in, promoted=True)
                continue
            child = self._new([(block.start, block.end)], heading)
            parent.children.append(child)
            # A sub-point ending in a lead-in of its own holds the items below it; one that ends by
            # describing something ("The flow is as follows:") holds only those that recommend.
            last = texts[-1].rstrip()
            describes = last[:1].isupper() and not self._is_recommendation([last], summary=True)
            self._add_children(child, node.children, heading, lead_in=last.endswith(":"), promoted=describes)

    def _item_kind(self, texts: list[str], block: Block) -> str | None:
        """None for an item of the respondent's own; "question" for one that asks, "support" for
        one that only says the respondent supports or welcomes something, "quoted" for a
        quotation or the definition of a term."""
        raw = self.text[block.start : block.end]
        if not texts or is_quoted(raw) or _DEFINITION.match(raw):
            return "quoted"
        if _asks(texts) and not self._is_recommendation(texts, summary=True):
            return "question"
        if self.supporting.search(raw) and not self._is_recommendation(texts, summary=True):
            return "support"
        return None

    def _read_sentences(self, sentences, texts, heading, *, summary: bool = False) -> None:
        current: _Candidate | None = None
        describing = False  # after an account of a law or an illustration (``_goes_on_describing``)
        for index, ((start, end), sentence) in enumerate(zip(sentences, texts)):
            turns = bool(_TURN.search(sentence) or self.speaker.search(sentence))  # "However, ...", "EFSP insists ..."
            recommends = self._is_recommendation([sentence], summary=summary, describing=describing and not turns)
            describing = _goes_on_describing(sentence, describing and not turns)
            quoted = _mostly_quoted(self.text[start:end], sentence)  # what it says of its own still counts
            if (quoted and not recommends) or _labelled(sentence) == "describes":
                current = None
                continue
            if current and _names_something_else(sentence, self.text[slice(*current.spans[0])]):
                current = None  # "This rent freeze should ..." after an ask about plots is not more of it
            if recommends and not (
                current and _CONTINUES.match(sentence) and not self.recommending.search(sentence)
            ):
                span_start = start
                if _DEICTIC.search(sentence) and index > 0 and current is None:
                    span_start = sentences[index - 1][0]
                numbered = _PARAGRAPH_NUMBER.match(self.text, span_start, end)
                if numbered:  # "2.2 RBA recommends ...": the paragraph's number is not its words
                    span_start = numbered.end()
                labelled = _NEUTRAL_LABEL.match(self.text, span_start, end)
                if labelled:  # "Comments: Councils should ...": a form's label is not either
                    span_start = labelled.end()
                current = self._new([(span_start, end)], heading)
                current.restates = current.restates or bool(_AGAIN.search(sentence) or _SUMMING_UP.match(sentence))
                self.tops.append(current)
            elif current and _CONTINUES.match(sentence) and _carries_on(sentence):
                current.spans[0] = (current.spans[0][0], end)
            else:
                current = None

    def _is_recommendation(self, sentences: list[str], *, summary: bool, describing: bool = False) -> bool:
        for sentence in sentences:
            if _SIGNPOST.search(sentence) or _OFFER.search(sentence):
                continue
            if _POLITE_ASK.search(sentence):  # "Could the council please publish ...?" asks
                return True
            if is_question(sentence):
                continue
            if self.recommending.search(sentence) or _IMPERSONAL.search(sentence):
                return True
            if (summary or not (self.has_summary or self.own_rules)) \
                    and self._advises(sentence, describing, self.speaker) \
                    and not self._others_view(sentence):
                return True
        return False

    def _others_view(self, sentence: str) -> bool:
        """Whether the first modal of the sentence stands in someone else's view (``_THEY_SAY``):
        "Critics say the rules should ...", "Some member states felt that ..." report it; "The
        Trust believes the Department should ..." and "We, like many, think ..." advise."""
        modal = _WEAK.search(sentence)
        if not modal:
            return False
        near = sentence[max(0, modal.start() - CLAUSE_REACH) : modal.start()]
        clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(near)), default=0)
        said = [m for m in _THEY_SAY.finditer(near, clause_start)
                if not _NOUN_BEFORE.search(near, clause_start, m.start())]
        return bool(said) and not self.speaker.search(near, clause_start, said[-1].start())

    @staticmethod
    def _advises(sentence: str, describing: bool = False, speaker: re.Pattern | None = None) -> bool:
        """A sentence saying what should happen ("Providers should publish ...", "Retain the
        rule."), not a question, a condition, a description, an illustration, argument, agreement
        or someone else's advice reported. ``describing``: the sentence goes on describing a law
        or an illustration given before it, so its "must"s describe; ``speaker``: the respondent's
        names, for "EFSP insists that ... must" (``_own_will``).

        >>> [_Reader._advises(s) for s in ("If providers must register, fees should fall.", "Retain the rule.",
        ...  "The review found that fees should fall.", "Patients must often wait.", "If fees must rise, we agree.")]
        [True, True, False, False, False]
        >>> [_Reader._advises(s) for s in ("Should the programme move to attestation, developers would then need to "
        ...  "keep evidence.", "Should the agency adopt it, it should give developers 18 months.",
        ...  "It should be stressed that the exception must remain narrow.", "Consider a scenario where a clinic must pay.",
        ...  "We also agree that efforts should be focused on rural areas, but the rule should cap fees.",
        ...  "It is very hard to regulate that software must be stable.", "Under the new law, gatekeepers must share APIs.")]
        [False, True, False, False, True, False, False]
        """
        stripped = sentence.strip()
        if is_question(stripped) or _NOT_ADVICE.search(stripped) or _WEAK_SELF.search(stripped):
            return False
        if re.match(r"(?:must|should|shall|may|will)\b", stripped):
            return False  # "must not contain unconscionable terms.": the rest of a clause, not a sentence
        unlabelled = _TITLE_LABEL.sub("", stripped, count=1)
        if _STANDING_RULE.match(stripped) or _ILLUSTRATES.match(unlabelled):
            return False
        if _IMPERATIVE.match(unlabelled):
            return True
        describing = describing or describes_law(stripped) or bool(_HOW_THINGS_ARE.match(stripped))
        discourse = _DISCOURSE.search(stripped)
        opening = _OPENING_CLAUSE.match(stripped)
        for modal in _WEAK.finditer(stripped):
            if discourse and modal.start() >= discourse.start():
                return False  # "It should be noted that ... must ...": argument from there on
            before = stripped[: modal.start()]
            near = before[-CLAUSE_REACH:]
            clause = near[max((m.end() for m in _CLAUSE_BREAK.finditer(near)), default=0):]
            word = modal.group(0).lower()
            if _NEED_NOUN.search(near) and word.startswith("need"):
                continue  # "the need to modernize": a noun
            # Someone else's recommendation, reported ("the review found that X should ...");
            # a reporting verb after the advice is part of it ("... and report what they said").
            if _REPORTED.search(before) or _ATTRIBUTED.search(stripped, modal.end()):
                return False
            if _inverted(stripped, modal):
                continue  # "Should the law be clarified", "..., and if so, should this be done"
            if (opening and "," not in before[opening.end():]) or _RELATIVE.search(near):
                continue
            if _AGREES.search(clause):
                continue  # "We agree that X should ..."
            complement = _COMPLEMENT.search(clause)
            if complement and not _own_will(clause, complement, speaker):
                continue  # "hard to regulate that software must ...", "the court ordered that ..."
            if _DESCRIBES.match(stripped[modal.end():]):
                continue
            if describing and _OBLIGATION.search(word) and not _RULE_TO_COME.match(stripped):
                continue  # "Under the new law, gatekeepers must ...", "She must pay for a survey"
            if word.startswith("need") and _FORESEEN.search(near):
                continue  # "developers would then need to keep evidence"
            return True
        return False


_SPELLS_OUT = re.compile(
    r"^(?:including|in\s+particular|in\s+addition|for\s+example|for\s+instance|such\s+as|which|instead)\b", re.I
)


def _carries_on(sentence: str) -> bool:
    """Whether a sentence opening on the ask before it (``_CONTINUES``) is more of the ask: it says
    what should happen too ("This should be set out in the notice itself", "They must also ...") or
    spells the ask out ("In particular, ...", "Instead, ..."). One that gives the ask's effect or
    describes ("This would give tenants time ...", "This then ensures that ...") is argument.

    >>> _carries_on("This should include carers."), _carries_on("This would let rivals compete."), _carries_on("Is it?")
    (True, False, False)
    """
    return not is_question(sentence) and bool(_WEAK.search(sentence) or _SPELLS_OUT.match(sentence))


# Nouns that name an ask by what it is rather than what it is about ("This change", "Such a
# requirement", "This approach").
_SHELL_NOUNS = frozenset(
    "change changes approach requirement requirements measure measures step steps policy process proposal proposals"
    " recommendation recommendations option solution reform reforms action actions work provision provisions rule"
    " rules obligation obligations duty mechanism arrangement arrangements initiative programme program exercise"
    " review guidance commitment update amendment amendments remedy remedies safeguard safeguards".split()
)


def _names_something_else(sentence: str, ask: str) -> bool:
    """Whether a sentence opening on "this ..." names something the ask before it did not: then it
    is not more of that ask ("The council should also offer half-price plots." then "This rent
    freeze should apply to every site" speaks of an earlier ask).

    >>> _names_something_else("This rent freeze should apply.", "Offer half-price plots."), _names_something_else(
    ...  "This freeze should apply.", "Freeze rents."), _names_something_else("This should include carers.", "Fund it.")
    (True, False, False)
    >>> _names_something_else("This change should apply from April.", "Freeze rents.")
    False
    """
    match = _DEMONSTRATIVE.match(sentence)  # at the start: the sentence's subject
    if not match or match.group(2).lower() in _SHELL_NOUNS:
        return False  # "This change should apply from April" names the ask itself
    named = {_root(_stem(word.lower())) for word in match.group(1).split()} - _STOPWORD_ROOTS
    return bool(named) and not named & _root_words(ask)


def _goes_on_describing(sentence: str, describing: bool) -> bool:
    """Whether the sentences after this one, in the same paragraph, still describe: after an
    account of a law ("In 2023 Germany adopted a law that ...", then "Sellers must also tell
    buyers ...") or an illustration ("Picture a pensioner ...", then "She must pay ..."), until
    the respondent turns to its own view ("However, ...", "We ...").

    >>> _goes_on_describing("Picture a pensioner in a cold house.", False), _goes_on_describing("We disagree.", True)
    (True, False)
    """
    if describing and not _TURN.search(sentence):
        return True
    return describes_law(sentence) or bool(_ILLUSTRATES.match(_TITLE_LABEL.sub("", sentence.strip(), count=1)))


VOICELESS_BLOCKS = 5  # a shorter text is a snippet of a response, not a document of its own
CLAUSE_REACH = 300  # characters before a modal in which the words that govern its clause are looked for


# --- numbering and references -------------------------------------------------------


def _number(text: str, tops: list[_Candidate], resolver: ReferenceResolver) -> list[ExtractedRecommendation]:
    """Keys in reading order: R1, its sub-points R1.1, R1.2, theirs R1.1.1 ..."""
    result: list[ExtractedRecommendation] = []

    def build(candidate: _Candidate, key: str, parent: str | None, heading: str | None):
        spans = sorted(candidate.spans)
        primary = candidate.spans[0]
        resolution = resolver.resolve("\n".join(text[s:e] for s, e in spans))
        result.append(
            ExtractedRecommendation(
                key=key,
                text=text[primary[0] : primary[1]].strip(),
                parent=parent,
                spans=spans,
                references=resolution.codes,
                unresolved_references=resolution.unresolved,
                heading=candidate.heading or heading,
                items=resolution.items,
                evidence=resolution.evidence,
            )
        )
        for m, child in enumerate(candidate.children, start=1):
            build(child, f"{key}.{m}", key, candidate.heading or heading)

    for n, top in enumerate(tops, start=1):
        build(top, f"R{n}", None, None)
    return result
