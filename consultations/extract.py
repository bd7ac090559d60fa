"""Find the respondent's recommendations in a cleaned written response.

How it reads a document, in order (the rules are the functions and patterns of this module, each
with an example in its docstring or comment):

1. Blocks: the cleaned text (``consultations.cleaning``) is split into headings, paragraphs,
   quotations (``>``) and list items with their nesting, each with its character offsets.
2. Sections: a heading opens a section. "Summary of recommendations" (or "Recommendations")
   sections list recommendations, one per item; "About ..." sections describe the respondent and
   "Definitions" sections quote terms; both are skipped. End notes, references and appendices end
   the reading, so a quoted older recommendation in an appendix is never taken as a new one. A
   heading that is itself an ask ("iOS must allow third party browser engines") is one.
3. Whose words: quotations are not the respondent's: block quotes, text in quotation marks, what
   a lead-in such as "The draft guidance says:" introduces, and definitions of terms.
4. Sentences: elsewhere a recommendation is a sentence in which the respondent speaks ("we
   recommend", "the Association urges", "Northfield Trust calls on"), extended by the sentences
   that carry it on ("This should include ..."). A sentence that only says what should happen
   ("providers should publish ...") also counts, unless the respondent gave a summary list: then
   the body's "should"s are argument for the listed recommendations. Questions never count.
5. Children: items nested under an item (1. → a. → i., or by indentation) are its sub-points at
   any depth, and a list introduced by a recommending lead-in ("... so that they:", "providers
   should:", "To do so we recommend ... in the following areas:") holds the sub-points of that
   lead-in. An item that asks a question is not a sub-point.
6. Repeats: a recommendation whose words are (nearly) all in an earlier one is the same
   recommendation said again; their spans are merged and the first wording is kept. So is one
   said again in its own section that refers back to it ("With this in mind, we believe this
   remedy needs ..."), and one said again in other words in a summary or a conclusion.

The respondent's names are learnt from the document (``respondent_names``: its title, letterhead,
sign-off, "On behalf of X", "X welcomes the opportunity", "About X", and the abbreviations and
short forms it gives them) and from the caller, so "Clinks recommends" counts and "The Lammy
Review recommends" does not.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from .cleaning import BULLETS, INDENT, LIST_MARKER
from .references import ReferenceResolver

# --- blocks -------------------------------------------------------------------------

_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv"}


@dataclass
class Block:
    kind: str  # "heading", "paragraph", "item" or "quote"
    start: int  # offsets of the content, without any list marker or quotation mark
    end: int
    text: str
    marker: str = ""
    depth: int = 0  # list nesting, from the cleaned text's indentation

    @property
    def label(self) -> str:
        return re.sub(rf"^[{BULLETS}]\s*", "", self.marker).strip(" ().").lower()

    @property
    def upper(self) -> bool:
        """A capital letter or numeral ("A.", "IV.")."""
        label = re.sub(rf"^[{BULLETS}]\s*", "", self.marker).strip(" ().")
        return label.isalpha() and label.isupper()

    @property
    def marker_kind(self) -> str | None:
        """'number', 'letter', 'roman' (ii, iv ...; a lone i, v or x is told apart in context) or
        'bullet'; None for other blocks."""
        if not self.marker:
            return None
        label = self.label
        if not label:
            return "bullet"
        if label.isdigit():
            return "number"
        return "roman" if label in _ROMAN and len(label) > 1 else "letter"


def split_blocks(text: str) -> list[Block]:
    """The blocks of a cleaned text, one a line.

    >>> [(b.kind, b.depth, b.text) for b in split_blocks("# Asks\\n\\n1. Fund it:\\n\\n    a) now\\n\\n> Quoted.\\n")]
    [('heading', 0, 'Asks'), ('item', 0, 'Fund it:'), ('item', 1, 'now'), ('quote', 0, 'Quoted.')]
    """
    blocks: list[Block] = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group(0)
        content = line.lstrip(" ")
        if not content.strip():
            continue
        start = match.start() + len(line) - len(content)
        depth = (len(line) - len(content)) // INDENT
        marker_match = LIST_MARKER.match(content)
        if content.startswith(">"):
            body = content.lstrip("> ")
            blocks.append(Block("quote", match.end() - len(body), match.end(), body))
        elif marker_match:
            marker = marker_match.group("marker")
            blocks.append(Block("item", start + len(marker), match.end(), content[len(marker):], marker.strip(), depth))
        elif _is_heading(content):
            body = content.lstrip("#").strip()
            offset = content.index(body) if body else 0
            blocks.append(Block("heading", start + offset, match.end(), body))
        else:
            blocks.append(Block("paragraph", start, match.end(), content))
    for n, block in enumerate(blocks):
        following = blocks[n + 1] if n + 1 < len(blocks) else None
        if block.kind == "item" and _numbered_heading(block, following):
            block.kind = "heading"
    return blocks


def _numbered_heading(block: Block, following: Block | None) -> bool:
    """A numbered line standing over a paragraph ("II. Preserve strong API baselines", then its
    text) is a section heading, not a list of one item.

    >>> [block.kind for block in split_blocks("II. Preserve Strong API Baselines\\n\\nWe support it.\\n")]
    ['heading', 'paragraph']
    """
    return (
        (block.depth == 0 or block.upper)
        and block.marker_kind in ("number", "letter", "roman")
        and following is not None
        and following.kind == "paragraph"
        and _is_heading(block.text)
        and not block.text.endswith("?")
    )


def _is_heading(line: str) -> bool:
    """Short lines without closing punctuation, single questions (a consultation's own), and a
    section's title followed by a colon ("Summary of Recommendations:")."""
    if line.startswith("#"):
        return True
    if line.endswith(":") and _section_title(line[:-1].strip()):
        return True
    if not (line[:1].isupper() or line[:1].isdigit()):
        return False
    if line.endswith("?"):  # (a polite request of the respondent's own is not a heading)
        return len(line) <= 250 and len(split_sentences(line)) == 1 and not _POLITE_ASK.search(line)
    return len(line) <= 120 and len(line.split()) <= 16 and not line.endswith((".", ",", ";", ":", "!"))


# --- sentences ----------------------------------------------------------------------

_ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "no", "st", "vs", "cf", "para", "approx", "fig", "al", "p", "pp"}
# A full stop (or ! ?) before a capital; or before a footnote number and then a capital ("... at
# § 170.315(a)(12).7 Currently ..."), but not the point inside a number ("section 3.2 Providers").
_SENTENCE_END = re.compile(
    r"[.!?]['\"’”)]*(?=\s+['\"‘“(]?[A-Z0-9])|(?<=[A-Za-z)\]])[.!?]['\"’”)]*(?:\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})(?=\s+['\"‘“(]?[A-Z])"
)


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) in a block's text.

    >>> text = "We agree, e.g. on costs. Funding. How will it be paid for?"
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['We agree, e.g. on costs.', 'Funding.', 'How will it be paid for?']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        word = _word_before(text, start, match.start()).lower().rstrip(".")
        if word in _ABBREVIATIONS and not (word == "no" and not text[match.end():].lstrip()[:1].isdigit()):
            continue  # "e.g.", "No. 5" (but "No. It would help ..." is an answer)
        spans.append((offset + start, offset + match.end()))
        start = match.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((offset + start, offset + len(text.rstrip())))
    return spans


def _word_before(text: str, start: int, end: int) -> str:
    """The letters, digits and dots that end just before ``end`` (not before ``start``): the
    word a full stop may abbreviate. It looks back no further than the word, so a paragraph full
    of abbreviations ("e.g.", "No.") is read in one pass."""
    begin = end
    while begin > start and (text[begin - 1].isalnum() or text[begin - 1] in "._"):  # the regex \w, and '.'
        begin -= 1
    return text[begin:end]


# --- whose words: quotations --------------------------------------------------------

_QUOTED = re.compile(
    r"“[^“”\n]*”"  # curly double quotes
    r"|(?<![\w\"])\"[^\"\n]*\"(?!\w)"  # straight double quotes
    r"|(?<![\w‘’])‘[^‘’\n]*’(?![A-Za-z])"  # curly single quotes (an apostrophe inside ends the match early)
    r"|(?<![\w'])'(?=\S)[^'\n]*(?<=\S)'(?![A-Za-z])"  # straight single quotes
    r"|«[^«»\n]*»"
)
QUOTED_SHARE = 0.6


def own_words(sentence: str) -> str:
    """The sentence with what it quotes replaced by "…", so that only the respondent's own words
    decide whether it recommends. Each pattern stops at the next quotation mark, so a text full of
    unmatched marks is read in one pass.

    >>> own_words('The proposal states that “providers must retain records”, which we oppose.')
    'The proposal states that …, which we oppose.'
    >>> own_words("Clinks' earlier response asks 'Do arrangements work?' again")
    "Clinks' earlier response asks … again"
    """
    return re.sub("…+", "…", masked(sentence))


def masked(text: str) -> str:
    """``text`` with every quoted passage replaced by as many "…" as it has characters, so that
    offsets into it are offsets into ``text``: a quotation of several sentences is masked in each."""
    if not any(mark in text for mark in "\"“‘'«"):
        return text
    return _QUOTED.sub(lambda match: "…" * len(match.group(0)), text)


def is_quoted(sentence: str) -> bool:
    """Whether a sentence is (mostly) a quotation of someone else's words.

    >>> is_quoted('“Providers must retain records for ten years.”'), is_quoted('We agree with the “ten years”.')
    (True, False)
    """
    return _mostly_quoted(sentence, own_words(sentence))


def _mostly_quoted(raw: str, own: str) -> bool:
    if own == raw:
        return False
    letters = sum(ch.isalnum() for ch in raw)
    return letters > 0 and sum(ch.isalnum() for ch in own) <= (1 - QUOTED_SHARE) * letters


# A lead-in that introduces someone else's text: "The draft guidance says:", "Paragraph 4 of the
# proposal states:", "The consultation defines a provider as follows:", "The current wording is:".
_INTRODUCES_QUOTATION = re.compile(
    r"\b(?:proposals?|draft|guidance|consultation|document|regulations?|bill|act|clause|section|paragraph|code"
    r"|framework|policy|rules?|definitions?|wording|text|paper|strategy|plan|report|review|department|government"
    r"|ministry|regulator|agency|authority|it|this)\b[^:]{0,120}?\b(?:states?|stated|says?|said|reads?|provides?"
    r"|sets?\s+out|specif(?:y|ies|ied)|defines?|defined|proposes?|proposed|includes?|included|requires?|asks?"
    r"|asked|is\s+worded|puts?\s+it|as\s+follows)\b[^:]{0,120}:$|\b(?:states?|says?|reads?)\s*:$",
    re.I,
)
# Definitions of terms: '"Provider" means ...', 'Record: includes ...'.
_DEFINITION = re.compile(
    r"^[\"“‘']?[A-Z][\w '’-]{0,60}?[\"”’']?:?\s+(?:means|includes|refers\s+to|is\s+defined\s+as|has\s+the\s+(?:same\s+)?meaning)\b"
)


# --- what counts as a recommendation ------------------------------------------------

# Choosing among what the consultation offers is an ask, agreeing with what it proposes is not:
# "We support the alternative proposal to retain X", "we support option B", "We prefer the second
# option", "Our members would prefer that ...", "We support the retention of X" ask for what the
# proposal does not do; "We support the proposal to ...", "We support the preferred option" and
# "We support the proposed retention of X" agree with it (``_AGREES``).
_CHOOSES = (
    r"(?:support|favou?r|back|endorse|choose|select|opt\s+for)s?\s+(?:the\s+|an?\s+)?"
    r"(?!(?:preferred|proposed|government['’]?s|department['’]?s|consultation['’]?s)\b)(?:[\w'’-]+\s+)?"
    r"(?:alternatives?|option\s+(?:\d{1,2}|[a-z]|[ivx]{1,4})\b|(?:first|second|third|fourth|other|another)\s+option)"
    r"|prefers?\s+(?:that|the|option|an?|[\w-]+ing|to\s+see)\b"
    # ... or keeping what the consultation would change: "We support the retention of the cancer
    # registry criterion" (but "the proposed retention" agrees)
    r"|support\s+(?:the\s+)?(?:continued\s+)?(?:retention|retaining|keeping|maintenance|maintaining|preservation|preserving"
    r"|continuation|continuing)\b"
)
# An addressee of up to four words before "to": "ask the department to", "urge ASTP/ONC to".
# (Never "to" itself: "would like to refer to" is not "would like X to".)
_WHOM = r"(?!to\b)(?:the\s+|for\s+)?[\w/&.-]+(?:\s+[\w/&.-]+){0,3}\s+to\b"
_VERBS = (
    r"recommends?|urges?|calls?\s+(?:on|upon|for)|proposes?|suggests?|requests?|encourages?|seeks?"
    rf"|advises?|asks?\s+(?:only\s+|simply\s+|just\s+|\w+ly\s+)?(?:that|for|{_WHOM})|invites?"
    rf"|cautions?\s+(?:against|{_WHOM}|that\s+\w+\s+(?:should|must))"
    rf"|(?:would|want|wants)\s+(?:also\s+|\w+ly\s+)?(?:like\s+)?to\s+see|would\s+(?:also\s+|\w+ly\s+)?like\s+{_WHOM}"
    r"|would\s+(?:welcome|expect|ask|urge|encourage|recommend|suggest|propose)"
    rf"|{_CHOOSES}"
)
# Words between the subject and the verb, any number of them. No alternative may be a sequence of
# others ("would also" is "would" then "also"): each such choice doubles the ways the regex
# tries a long run of them, and "we would also would also ..." then takes minutes.
_ADVERBS = (
    r"(?:\s+(?:also|would|therefore|further|again|\w+ly|continue\s+to|wish\s+to|want\s+to))*"
)
# "We", "I", "our organisation" and the like speak for the respondent whatever its name.
_PRONOUNS = (
    r"we|i|our\s+(?:organisation|organization|association|charity|trust|society|council|members|network"
    r"|federation|institute|union|company|firm|group|committee|board|partnership|alliance|coalition|forum)"
    r"|this\s+(?:comment|response|submission|letter)|the\s+(?:commenter|commentor|undersigned|respondent)"
)
# In an "About us" section only the plainest asks count ("we urge", "we recommend", "we call on").
_PLAIN_VERBS = r"recommends?|urges?|calls?\s+(?:on|upon|for)|requests?|asks?\s+(?:that|for|(?:the\s+)?[\w/-]+\s+to\b)"
# An aside between the subject and its verb: "Clinks, as the national body, urges ...".
_ASIDE = r"(?:\s*,[^,\n]{1,80},)?"
_IMPERSONAL = re.compile(
    r"\bit\s+is\s+(?:\w+ly\s+)?recommended\s+that\b|\bour\s+(?:\w+\s+)?recommendation\s+(?:is|would\s+be)\b"
    # the polite ask: "It would be helpful if the Department could clarify ..."
    r"|\bit\s+would\s+be\s+(?:\w+\s+)?(?:helpful|useful|beneficial|sensible|better|preferable|advisable|welcome)\s+(?:if|for)\b",
    re.I,
)
# "It" standing for what follows, not for anything said before: "It is essential that ...", "It's
# vital to ...", "It is also important for the regulation to ...".
_IT_IS = r"it(?:\s+is|['’]s|\s+remains|\s+will\s+be|\s+would\s+be)\s+(?:(?:also|therefore|thus|still|\w+ly)\s+){0,2}"
# (Not "important": "it is important to view these changes in context" argues.)
_EVALUATIVE = r"(?:critical|essential|vital|imperative|crucial|necessary)"
# Words that say what should happen: "should", "must", "needs to", "it is essential that", "X is
# (also, still, urgently) needed", "there is a need for", "what is needed is"; and asks put as an argument for an action
# (``_ARGUED_FOR``) or as a remedy that could be had (``_REMEDY_OFFERED``), defined below.
_WEAK_WORDS = (
    rf"should|must|ought\s+to|needs?\s+to|{_IT_IS}{_EVALUATIVE}\s+(?:that|to|for)"
    r"|(?:is|are)\s+(?:(?:urgently|also|still|therefore|now|clearly|badly|really)\s+){0,2}needed"
    r"|there\s+is\s+an?\s+(?:\w+\s+)?need\s+(?:for|to)"
    r"|what\s+(?:is|['’]s)\s+(?:(?:really|urgently|now|therefore|also|still)\s+)?(?:needed|required)\s+(?:now\s+)?is"
)
# Verbs of doing that an imperative asks for ("Retain the rule", "Compel Apple to ...") and whose
# "-ing" form names an action argued for ("benefits from compelling Apple to ...").
_ACTION_VERBS = (
    "adopt amend clarify consider create define delay develop eliminate ensure establish expand extend finali[sz]e"
    " fund introduce maintain preserve provide publish reconsider reduce remove replace require retain revise rescind"
    " restore strike simplify streamline withdraw prioriti[sz]e align allow permit avoid keep limit issue update"
    " reinstate exempt postpone implement mandate protect promote drop delete modify harmoni[sz]e standardi[sz]e"
    " enable support acknowledge recogni[sz]e affirm confirm specify direct engage coordinate collaborate invest"
    " monitor verify incorporate encourage incentivi[sz]e enforce prohibit guarantee raise lower increase decrease"
    " make give offer apply adjust rethink abandon scrap compel oblige force ban"
).split()


def _gerund(verb: str) -> str:
    """The "-ing" form of a verb of ``_ACTION_VERBS``, as a pattern.

    >>> [_gerund(verb) for verb in ("compel", "finali[sz]e", "guarantee", "clarify")]
    ['compell?ing', 'finali[sz]ing', 'guaranteeing', 'clarifying']
    """
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    if verb.endswith(("y", "w", "x", "ee")):
        return verb + "ing"
    return f"{verb}{verb[-1]}?ing"  # "compelling", "dropping", "permitting"; "funding"


# A benefit argued for an action the respondent wants taken: "There are significant benefits
# from compelling Apple to allow web apps ...", "there would be real advantages in requiring
# operators to ...", "There is a strong case for extending the scheme to ...".
_ARGUED_FOR = (
    r"there\s+(?:are|is|would\s+be|will\s+be|could\s+be)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:benefits?|advantages?|merit|value|gains?|a\s+(?:[\w-]+\s+)?case)\s+(?:in|from|to|for)\s+"
    rf"(?:{'|'.join(_gerund(verb) for verb in _ACTION_VERBS)})\s+(?!(?:of|to|and|or|is|are|was|were)\b)\w+"
)
# A remedy the respondent offers as a possibility: "All of the measures could be balanced by a
# provision, perhaps similar to ...", "the risk might be reduced through a cap", "A better
# approach would be to ...". ("The only option would be to close" and "could be exploited by" are
# not offers.)
_REMEDY_OFFERED = (
    r"(?:could|might)\s+(?:(?:perhaps|possibly|also|instead|easily|well|then|partly|largely|best|better)\s+)*be\s+"
    r"(?:(?:perhaps|possibly|better|best|easily|partly|largely)\s+)*(?:balanced|offset|addressed|resolved|solved"
    r"|remedied|mitigated|met|achieved|avoided|prevented|overcome|tackled|handled|fixed|reduced|countered|eased"
    r"|complemented|supplemented|accompanied|corrected|rectified)\s+(?:[\w-]+\s+)?(?:by|through|with|via)\s+"
    r"(?:a|an|some|more|better|new|clearer|stronger|[\w-]+ing)"
    r"|(?:one|a|an|another)\s+(?:(?:possible|simple|better|obvious|practical|alternative|good|sensible|workable"
    r"|fairer|simpler|more\s+\w+)\s+)*(?:solution|option|approach|remedy|answer|way\s+forward|fix|compromise)\s+"
    r"(?:could|would|might)\s+be\s+(?:to|for)"
)
_WEAK = re.compile(rf"\b(?:{_WEAK_WORDS}|{_ARGUED_FOR}|{_REMEDY_OFFERED})\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]urs?|us|I|[Mm]y|[Mm]e)\b")
_WEAK_SELF = re.compile(r"\b(?:we|i|you)\s+(?:\w+\s+)?(?:should|must|ought|need)\b", re.I)
_NOT_ADVICE = re.compile(
    r"\bin\s+theory\b|^(?:currently|today|at\s+present|presently|historically|traditionally|previously"
    r"|under\s+(?:the\s+)?(?:current|existing)\b)",
    re.I,
)
# Words that steer the argument rather than ask: "One should bear in mind that ...", "Reference
# should also be made to ...", "It should be stressed that ...", "The Council would like to point
# out / refer to ...", "we would like to highlight ...". A modal from there on is the argument's.
_DISCOURSE_VERB = (
    r"not(?:e|ed)|stress(?:ed)?|emphasi[sz]e[ds]?|underline[ds]?|underscore[ds]?|remember(?:ed)?|recall(?:ed)?"
    r"|borne\s+in\s+mind|bear\s+in\s+mind|point(?:ed)?\s+out|mention(?:ed)?|highlight(?:ed)?|reiterate[ds]?"
    r"|repeat(?:ed)?|add(?:ed)?|said|say|observe[ds]?|refer(?:red)?\s+to|remind(?:ed)?|express(?:ed)?|thank(?:ed)?"
    r"|comment(?:ed)?|draw(?:n)?\s+(?:\w+\s+)?attention|(?:made|drawn)\s+(?:here\s+|also\s+)?(?:to|of)|recogni[sz]ed"
    r"|acknowledged|understand|understood"
)
_DISCOURSE = re.compile(
    r"(?:\b(?:it|one|reference|mention|attention|note|emphasis)\s+(?:\w+\s+)?"
    r"(?:should|must|shall|ought\s+to|needs?\s+to|has\s+to|may|can)"
    r"|\b(?:would|should)\s+(?:also\s+|further\s+)?like\s+to|\bwish(?:es)?\s+to|\bwants?\s+to"
    rf"|\b{_IT_IS}(?:{_EVALUATIVE}|important|worth|useful|helpful)\s+to"  # "It is important to note that ..."
    r"|\blet(?:'s|’s|\s+(?:us|me)))"
    r"\s+(?:(?:also|further|again|first|here|briefly|once\s+more|however|perhaps|therefore|equally)\s+)*"
    rf"(?:be\s+)?(?:{_DISCOURSE_VERB})\b",
    re.I,
)
# An imperative that brings in an illustration, not an ask: "Consider a fictional scenario where
# ...", "Imagine a patient who ...", "Take the case of ...", "Note that ...", "Look at the figures".
# ("Consider a tapered grant", "Take action", "Look again at the threshold" still ask.)
_ILLUSTRATION_NOUNS = r"(?:scenario|case|example|situation|hypothetical|instance|illustration|story|analogy|thought\s+experiment)s?"
_ILLUSTRATES = re.compile(
    r"^(?:(?:for\s+(?:example|instance)|to\s+illustrate|by\s+way\s+of\s+(?:example|illustration)|now|so|but|and|first|next"
    r"|finally),?\s+)?(?:let(?:'s|’s|\s+us)\s+)?"
    r"(?:imagine|picture|suppose|envisage|envision|pretend|notice|observe|compare|contrast|note(?!\s+(?:down|of)\b)"
    r"|(?:remember|recall|bear\s+in\s+mind)\s+(?:that|how|what|when)|assume\s+(?:that|a|an|for)"
    r"|think\s+(?:of|about)\s+(?:what|how|the|a|an|this)|look\s+at\s+(?:the|this|these|what|how|an?)\b"
    rf"|take\s+(?:(?:for\s+(?:example|instance)|as\s+an\s+example)\b|(?:the|a|an|this|one)\s+(?:\w+\s+)?{_ILLUSTRATION_NOUNS}\b)"
    r"|consider\s+(?:for\s+(?:example|instance),?\s+)?(?:what\b|the\s+following\b"
    rf"|(?:the|a|an|this|one|two|three)\s+(?:[\w'’-]+\s+){{0,3}}?{_ILLUSTRATION_NOUNS}\b(?!\s+for\b)"
    r"|(?:a|an|the|one)\s+(?:[\w'’-]+\s+){0,3}?[\w'’-]+\s+(?:who|whose|where|in\s+which"
    # ... or one described by a number: "Consider a local newspaper with three journalists"
    r"|with\s+(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|few|no|only|just|fewer|less)\b)\b))",
    re.I,
)
# A question: it ends in "?" (before any closing quote, bracket or footnote mark), however it starts.
_QUESTION_END = re.compile(r"\?[\s'\"’”)\]*_]*(?:\[?\d{1,3}\]?|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})?[\s'\"’”)\]*_]*$")
# ... unless it is the respondent's own request put politely: "Could the council please publish
# the figures?", "Would the Department kindly confirm ...?" (an ask, like "Please publish ...").
_POLITE_ASK = re.compile(
    r"^(?:(?:and|also|finally|lastly),?\s+)?(?:could|would|can|will)\s+(?:you|(?:the\s+)?[\w/&.'’-]+(?:\s+[\w/&.'’-]+){0,3})"
    r"\s+(?:please|kindly)\s+\w+",
    re.I,
)
# An auxiliary before its subject asks or sets a condition, it does not advise: "Should the law be
# clarified", "Must libraries ask", "..., and if so, should this be done by ...", "Should the
# programme move to attestation, developers would ..." (at a sentence's start any word can be the
# subject; inside it, an article, a pronoun or a name).
_SUBJECT = (
    r"(?:(?i:the|this|that|these|those|it|they|we|you|he|she|there|a|an|any|such|our|their|its|his|her|one|all|each"
    r"|every)|[A-Z][\w/&'’-]*)\b"
)
_INVERTED_START = re.compile(  # used with .match(sentence, pos), after a question's label
    r"(?:(?:and|but|or|so|also|secondly|thirdly|finally|further(?:more)?|if\s+so|if\s+not)\b,?\s+)?"
    r"(?:should|must|would|could|shall|might|ought)\s+(?!be\b|not\b|have\b|also\b|only\b|\w+ly\b)[\w'’]",
    re.I,
)
_INVERTED_INSIDE = re.compile(r"(?:[,;]\s+|\b(?:and|or|but|if\s+so|if\s+not),?\s+)$", re.I)
_INVERTED_AFTER = re.compile(rf"\s+(?:not\s+)?{_SUBJECT}")
# A clause that opens the sentence: a "should" inside it ("If providers must register, ...",
# "Should the agency decide that providers must ...") is a condition, not advice; the advice comes
# after its comma.
_OPENING_CLAUSE = re.compile(
    r"^(?:if|whether|although|though|while|whilst|when|whenever|unless|as|because|since|once|until|where"
    r"|given|absent|without|after|before|that|(?:should|were|had)\s+(?!be\b|not\s+be\b)\w+)\b",
    re.I,
)
# "... the auditors, which must assess the controls": a modal in a relative clause describes.
_RELATIVE = re.compile(
    r"\b(?:which|who|whom|whose)\s+(?:\w+\s+)?$|\bthat\s+(?:they|it)\s+$|\b(?<!so\s)that\s+(?:\w+ly\s+|also\s+|still\s+)?$"
    # or inside a clause that explains or sets a condition: "..., since laboratories must ...",
    # "consumers have no recourse if a vendor must ...", "whenever a train must terminate"
    r"|,\s*(?:as|whereas)\b[^,;:]*$"
    r"|\b(?:if|unless|when|whenever|where|wherever|once|until|because|since|although|though|while|whilst"
    r"|even\s+if|in\s+case|as\s+long\s+as|provided\s+that)\b[^,;:]*$"
    # or in a question inside the sentence: "a view of what services should look like"
    r"|\b(?:what|how|whether|why)\s+[^,;:]*$",
    re.I,
)
# The clause a modal stands in begins after the last of these: "We agree that X should ..., but
# the rule should also ...": the second "should" is the respondent's advice.
_CLAUSE_BREAK = re.compile(
    r"[;:—]|\s–\s|\b(?:but|however|yet|instead|nevertheless|nonetheless|although|though)\b|,\s+(?:and|so)\s+(?!that\b)", re.I
)
# A modal in what the respondent (or anyone) agrees with, supports or shares: "We also agree that
# efforts should be focused on ...", "we share the Association's concern that fees must not
# rise", "We welcome the review's recommendation that every school should ...": a position.
_AGREES = re.compile(
    r"\b(?:agree[sd]?|concur(?:s|red)?|share[sd]?|echo(?:es|ed)?|support(?:s|ed)?|endorse[sd]?|welcome[sd]?"
    r"|accept(?:s|ed)?|applaud(?:s|ed)?|commend(?:s|ed)?|acknowledge[sd]?|recogni[sz]e[sd]?|understand[s]?"
    r"|appreciate[sd]?|note[sd]?)\b[^;:]*?\b(?:that|view|concern|position|proposal|recommendation|suggestion|aim"
    r"|intention|ambition|principle|idea|argument)\b",
    re.I,
)
# A modal in the complement of a verb that does not advise: "it is very hard to regulate that
# software must be stable", "the rules assume that a buyer must prove ...", "This means that a
# buyer must ...", "passengers do not know that a claim must ...", and what others decided or
# ordered: "Dutch regulators mandated that Apple must ...", "The court ordered that ...". ("Ensure
# that X must" advises; so do verbs of will the respondent governs, ``_OWN_WILL``.)
_COMPLEMENT = re.compile(
    r"\b(?:assum(?:e|es|ed|ing)|presum(?:e|es|ed|ing)|impl(?:y|ies|ied)|entail(?:s|ed)?|presuppos(?:e|es|ed)|means|meant"
    r"|mean|know[sn]?|knew|pretend(?:s|ed)?|claim(?:s|ed)?|(?:hard|difficult|impossible|unrealistic|unreasonable)\s+to\s+\w+"
    r"|(?P<will>regulat(?:e|es|ed|ing)|legislat(?:e|es|ed|ing)|dictat(?:e|es|ed)|decid(?:e|es|ed)|insist(?:s|ed)?"
    r"|demand(?:s|ed)?|stipulat(?:e|es|ed)|mandated|ordered|ruled|directed|instructed|decreed|determined|held"
    r"|requir(?:e|es|ed)(?:\s+of\s+[\w-]+(?:\s+[\w-]+)?)?))\s+(?:[\w-]+\s+){0,2}?that\b",
    re.I,
)
# A verb of will in the respondent's mouth: governed by its own modal ("Any initiative to scan
# entire collections must require that the rights holders consent", "the code should insist that
# ..."), or said by it ("We insist that ...", "EFSP insists that ..."): what follows is its ask.
_OWN_MODAL = re.compile(
    r"\b(?:must|should|shall|ought\s+to|needs?\s+to|will|would)\s+(?:(?:\w+ly|also|therefore|then)\s+)?$", re.I
)
_OWN_SUBJECT_GAP = re.compile(
    r"\s*(?:,[^,]{1,60},\s*)?(?:(?:\w+ly|also|therefore|have|has|had|do|does|would|must|long|always|still"
    r"|continue\s+to)\s+){0,3}$",
    re.I,
)
_OWN_PRONOUN = re.compile(rf"\b(?:we|i){_OWN_SUBJECT_GAP.pattern}", re.I)


def _own_will(clause: str, complement: re.Match, speaker: re.Pattern | None) -> bool:
    """Whether a verb of will (``_COMPLEMENT``'s "will" group) is the respondent's: under its own
    modal, or with "we", "I" or one of its names as the subject, so that the modal after it is
    part of the respondent's ask rather than a description of a rule someone else made.

    >>> [_own_will(c, _COMPLEMENT.search(c), None) for c in ("Any scheme must require that ",
    ...  "We insist that ", "The Directive requires that ", "The court ordered that ")]
    [True, True, False, False]
    """
    if not complement.group("will"):
        return False
    before = clause[: complement.start()]
    if _OWN_MODAL.search(before):
        return True
    if _OWN_PRONOUN.search(before):
        return True
    return bool(speaker and any(_OWN_SUBJECT_GAP.match(before, m.end()) for m in speaker.finditer(before)))


# Law and the like, described rather than asked for: "Under the new law, gatekeepers must share
# APIs", "The Act requires designated providers to ...", "The new rules prohibit:", "In 2023
# Germany adopted a law that obliges sellers ...". Its "must"s describe obligations; a "should"
# beside them is still the respondent's.
_LAW = (
    r"(?:(?i:law|act|statute|directive|regulation|bill|code|rule|proposal|ordinance|decree|legislation|treaty|convention"
    r"|article|provision|amendment|reform|regime|guidance|order|framework|regulator|authority|court|tribunal|judge"
    r"|commission|parliament|legislature|congress|government|ministry|department|agency|language|wording|text|draft"
    r"|remed(?:y|ie)|commitment|scheme|settlement|ruling|judgment|decision)s?|[A-Z]{2,6})"
)
# (Found by its verb, then the law named just before it: the verbs are rarer than the nouns.)
_LAW_VERB = re.compile(
    r"\b(?:(?:would|will)\s+)?(?:requires?|obliges?|obligates?|mandates?|prohibits?|forbids?|bans?|imposes?|compels?"
    r"|stipulates?|prescribes?|lays\s+down|provides\s+that|entitles?|exempts?|introduces?|establishes|creates|sets\s+out"
    r"|force|oblige|establish|create|impose|introduce|mandate|require|prohibit|ban"
    # ... or what it imposed: "Dutch regulators mandated that ...", "The court ordered ..."
    r"|required|obliged|obligated|mandated|ordered|ruled|decided|prohibited|forbade|banned|imposed|compelled|forced"
    r"|directed|instructed|stipulated|prescribed|fined)\b"
)
# What someone was made to do: "Google was required to open its store ...", "Apple was ordered to
# remove ...". (What is required now, "Providers are required to ...", may be the ask's premise.)
_IMPOSED = re.compile(
    r"\b(?:was|were|has\s+been|have\s+been|had\s+been)\s+(?:(?:\w+ly|also|then|since|already|later)\s+)?"
    r"(?:required|obliged|obligated|ordered|forced|compelled|mandated|directed|instructed|told|prohibited|banned"
    r"|forbidden|barred)\s+(?:to|from)\b",
    re.I,
)
_LAW_BEFORE = re.compile(
    rf"\b{_LAW}\b\s+(?:(?!(?:should|must|shall|ought|needs?|would|will|to|not)\b)\w+\s+)?(?:also\s+|now\s+|already\s+)?$"
)
_UNDER_LAW = re.compile(
    r"\b(?i:under|according\s+to|pursuant\s+to|in\s+accordance\s+with|as\s+required\s+by|as\s+set\s+out\s+in"
    r"|following|since|as\s+a\s+result\s+of)\s+"
    rf"(?:(?:the|this|that|these|its|their|[A-Z][\w'’-]*)\s+)?(?:[\w'’-]+\s+){{0,4}}?{_LAW}\b",
)
_LAW_PASSED = re.compile(
    rf"\b(?:adopted|passed|enacted|introduced|approved|signed)\s+(?:a|an|the|its)\s+(?:[\w'’-]+\s+){{0,3}}?{_LAW}\b"
    r"|^(?i:since|as\s+of|as\s+from)\s+(?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December|\d{4}|last\s+\w+|then)\b[^,]{0,30},",
)
# Where or when the sentence says how things are: "In practice, retailers must refer ...", "In
# many areas, care workers must wait ...". Its "must"s describe (a "should" still advises).
_HOW_THINGS_ARE = re.compile(
    r"^(?:in\s+(?:practice|reality|fact)|as\s+(?:things|it)\s+stands?|nowadays|these\s+days|at\s+the\s+moment"
    # ... or an example: "By way of example, a library must pay ..."
    r"|for\s+(?:example|instance)|by\s+way\s+of\s+(?:example|illustration)|to\s+illustrate|e\.\s?g\."
    r"|right\s+now|to\s+date|so\s+far|in\s+(?:many|most|some|several|all|other|these)\s+(?:[\w-]+\s+)?"
    r"(?:cases|countries|member\s+states|states|jurisdictions|places|areas|regions|instances|sectors|parts))\b"
    # ... or in another place or year: "In Korea, app stores must ...", "In 2021, Apple had to ..."
    r"|^in\s+(?:the\s+)?(?!(?:summary|conclusion|short|particular|addition|principle|general|brief|sum|response|turn"
    r"|light|future|order|our|my|this|these|that|any|each|either|both|such|all|most|many|some|practice|reality)\b)"
    r"(?:(?-i:[A-Z])[\w'’.-]*\s*){1,3},|^in\s+(?:(?:early|late|mid-?)\s*)?(?:\d{4}|(?:January"
    r"|February|March|April|May|June|July|August|September|October|November|December)\b)",
    re.I,
)
# After an account of a law or an illustration, the paragraph goes on describing until the
# respondent turns to its own view.
_TURN = re.compile(
    r"^(?:however|but|yet|instead|therefore|thus|hence|so|accordingly|for\s+(?:this|these)\s+reasons?|this\s+is\s+why"
    r"|in\s+our\s+view|we|our|i)\b|\b(?:we|our|us)\b",
    re.I,
)
_OBLIGATION = re.compile(r"(?:must|shall|needs?\s+to)$", re.I)
# What any rule to come must contain, said after an account of the law: "Any initiative to scan
# entire collections of works must require that the rights holders consent" is the respondent's
# own, not more of the account ("Sellers must also tell buyers ...").
_RULE_TO_COME = re.compile(
    r"^(?:any|every|no)\s+(?:new\s+|future\s+)?[\w-]+\b[^,;:]{0,80}?\b(?:must|shall)\s+(?:(?:also|therefore|always)\s+)?"
    r"(?:require|ensure|guarantee|stipulate|provide|include)\s+(?:that\b|for\b)",
    re.I,
)
# "developers would then need to keep evidence": a consequence foreseen, not advice.
# ... and "Apple would no longer need to provide ...", "Apple will no longer need to": what a
# proposal would stop requiring.
_FORESEEN = re.compile(r"\b(?:(?:would|might|could)\s+(?:\w+\s+){0,2}|no\s+longer\s+)$", re.I)
# A modal followed by whose words they are: "Default search engines must be chosen by the user,
# according to the commission", "... must now offer rivals, the commission added."
_ATTRIBUTED = re.compile(
    r",\s*(?:according\s+to\s+[^,;]{2,80}|(?:(?!(?:and|but|or|so|then|which|what|who|whom|that|as|if|when|they|we|he|she"
    r"|it|i|you)\b)[\w'’-]+\s+){1,4}?(?:said|says|added|argued|claimed|told\s+[\w ]{1,30}|warned|warns|noted|explained"
    r"|stated|reported|wrote|announced|confirmed|rules|ruled|finds|found|orders|ordered|decides|decided)"
    r"|(?:said|says|added|argued|claimed|warned|warns|noted|explained|stated|wrote)\s+[\w'’ -]{2,60}?)\s*[.!]?[\"”’]?$",
    re.I,
)
# A rule that stands, stated of any one of a kind: "A laboratory must perform and document
# verification before an interface goes live." (Advice names who should act, or asks for a thing
# to be done: "A review should be held", "A register must be created".)
_STANDING_RULE = re.compile(r"^(?:a|an|each|every|any)\s+[\w-]+\s+(?:must|shall)\s+(?!be\b|not\s+be\b)\w+", re.I)
_NEED_NOUN = re.compile(r"\b(?:the|a|an|this|that|their|our|its|any|no|growing|urgent|clear|real|pressing)\s+$", re.I)
# "patients must often request a CD": what happens now, not what should.
# ... and "the rules should have gone further": what should have been, not what should be.
_DESCRIBES = re.compile(
    r"^\s+(?:often|currently|now|already|still|sometimes|typically|usually|routinely|frequently|then"
    r"|(?:not\s+)?have\s+(?:been|had|\w+(?:ed|en|ne|wn)))\b",
    re.I,
)
_REPORTED = re.compile(
    r"\b(?:recommended|called\s+for|urged|argued|said|stated|found|concluded|highlighted|noted|revealed|showed"
    r"|shown|demonstrated|indicated|told"
    r"|(?:states|says|specifies|sets\s+out|proposes|recommends|suggests|argues|concludes|notes|finds|shows|reveals"
    r"|indicates|tells?(?:\s+[\w/-]+){1,3})(?:\s+\w+ly)?\s+(?:that\b|:)"
    r"|(?:would|will)\s+(?:\w+ly\s+)?(?:state|say|provide|require|specify|mean)\b"
    # someone's view, a fact or a worry, not the respondent's advice: "a recognition that standards
    # must ...", "the practical reality is that developers must ...", "we are concerned that ..."
    r"|(?:recognition|acknowledg(?:e)?ment|understanding|assumption|belief|premise|notion)\s+that"
    r"|(?:reality|fact|truth|result|effect|outcome|consequence|problem)\s+(?:is|would\s+be|will\s+be)\s+that"
    r"|(?:concerned|worried|troubled)\s+that"
    # what someone might wrongly take: "a regulator could assume that a laboratory must ..."
    r"|(?:could|might|may|would)\s+(?:\w+\s+)?(?:assume|conclude|infer|interpret|think|believe|argue|claim)\b)",
    re.I,
)
# A sentence in the imperative: "Retain the source attributes ...", "Additionally, consider
# updating ...", "Explicitly acknowledge that ...", after a label in title case if it has one.
_IMPERATIVE = re.compile(
    r"^(?:(?:additionally|also|finally|further(?:more)?|second(?:ly)?|third(?:ly)?|first(?:ly)?|in\s+addition|instead"
    rf"|in\s+particular|specifically|then),?\s+)?(?:\w+ly\s+)?(?:(?:{'|'.join(_ACTION_VERBS)}|continue\s+to)\s+"
    r"(?!(?:of|to|and|or|is|are|was|were|has|have|in|on|at|by|from|as|for)\b)[\w“\"‘'(§]"
    r"|(?:take\s+(?:action|steps|account|into\s+account|measures)|look\s+again|think\s+again)\b)",
    re.I,
)
# A label before a colon, in title case ("Support Patient Exchange: ..."): not part of the sentence.
_TITLE_LABEL = re.compile(
    r"^(?:[A-Z0-9(][\w'’/&()-]*,?\s+(?:(?:of|for|and|the|to|in|on|a|an|with|by|or|as|at|from|into|via|per|vs)\s+)*){0,11}"
    r"[A-Z0-9(][\w'’/&()-]*:\s+"
)
# The respondent says it supports, welcomes or agrees: a position, not an ask.
_SUPPORTS = r"(?:support|welcome|agree|commend|applaud|appreciate|endorse)s?"
# Signposting its own work, or commending itself: "for further information see our report", "we
# recommend our services to every woman leaving custody".
_SIGNPOST = re.compile(
    r"\bfor\s+(?:further|more)\s+information\b|\brefer(?:ring)?\s+to\s+our\b|\bsee\s+our\b"
    r"|\b(?:recommend|suggest|offer|propose)s?\s+(?:our|us|ourselves)\b(?!\s+(?:recommendations?|view|proposals?)\b)"
    r"|\b(?:recommend|suggest|propose)s?\s+(?:that\s+)?we\b",
    re.I,
)
# An offer to help or to meet: "We would welcome an opportunity to discuss ...", "we would be happy to".
_OFFER = re.compile(
    r"\bwould\s+(?:welcome|value|appreciate)\s+(?:(?:an?|the|any|further|continued|ongoing|more)\s+)?(?:\w+\s+)?"
    r"(?:opportunity|chance|meeting|discussion|conversation|dialogue|engagement|collaboration)\b"
    r"|\b(?:would\s+be|are|is|remain)\s+(?:\w+\s+)?(?:happy|pleased|glad|willing|available|ready)\s+to\b"
    r"|\bencourage\s+you\s+to\s+(?:reach\s+out|contact|get\s+in\s+touch)|\bplease\s+contact\b|\bdo\s+not\s+hesitate\b",
    re.I,
)
_LIST_LEAD_IN = re.compile(r"\b(?:our|the\s+following|these|key)\s+recommendations?\b", re.I)
# Lead-ins that only announce a list of recommendations: the items are the recommendations.
_ANNOUNCES = re.compile(
    r"^(?:(?:in\s+summary|to\s+summari[sz]e|overall|in\s+short),?\s+)?(?:"
    r"we\s+(?:would\s+)?(?:make|have|set\s+out|offer|propose|recommend|suggest)"
    r"(?:\s+(?:the\s+following|these|a\s+number\s+of|several|some|two|three|four|five|six|seven|eight|nine|ten|\d+))?"
    r"(?:\s+(?:key|main|specific|further))?(?:\s+(?:recommendations?|proposals?|suggestions?|changes|points))?"
    r"(?:\s+(?:below|as\s+follows|to\s+the\s+[\w-]+(?:\s+[\w-]+)?))?"
    r"|(?:our|the|these\s+are\s+our)\s+(?:key\s+|main\s+)?recommendations(?:\s+(?:are|is))?(?:\s+as\s+follows)?"
    r")\s*:$",
    re.I,
)
_ANAPHORA = re.compile(
    r"\b(?:this|the\s+above)\s+recommendation\b|\bto\s+do\s+(?:so|this)\b|\bto\s+achieve\s+this\b"
    r"|\bto\s+this\s+end\b|\bto\s+implement\s+this\b|\bin\s+order\s+to\s+do\s+this\b",
    re.I,
)
# A sentence that carries on the ask before it: "This should include ...", "Instead, ONC should
# continue to monitor ..." (what to do in place of what it asked not to do).
_CONTINUES = re.compile(
    rf"^(?!{_IT_IS}[\w-]+\s+(?:that|to|for|if)\b)"  # (not "It is vital that ...": a new sentence's own "it")
    r"(?:this|these|that|those|it|they|such|including|in\s+particular|in\s+addition|for\s+example|which|instead)\b",
    re.I,
)
_DEICTIC = re.compile(r"\bthis\s+(?:section|standard|question|area|domain|point|issue)\b|\bunder\s+this\b", re.I)
_SECTION_RECOMMENDATIONS = re.compile(
    r"^(?:\d+[.)]?\s+)?(?:summary\s+of\s+(?:our\s+|the\s+|key\s+|main\s+)?recommendations"
    r"|(?:our\s+|key\s+|main\s+|list\s+of\s+|summary\s+)?recommendations"
    r"|(?:conclusions?|summary)\s+(?:and|&)\s+recommendations|recommendations\s+(?:and|&)\s+conclusions?"
    r"|(?:our\s+|key\s+)?asks)$",
    re.I,
)
_SECTION_END = re.compile(
    r"^(?:end\s*notes?|notes|footnotes|references|bibliography|sources|appendix|appendices|annex(?:e|es)?)\b",
    re.I,
)
_SECTION_ABOUT = re.compile(r"^about\b", re.I)
_SECTION_QUOTED = re.compile(r"^(?:definitions?|glossary|interpretation|terms\s+used|abbreviations|acronyms)\b", re.I)


def _section_title(text: str) -> bool:
    return bool(
        _SECTION_RECOMMENDATIONS.match(text) or _SECTION_END.match(text) or _SECTION_QUOTED.match(text)
        or (_SECTION_ABOUT.match(text) and len(text.split()) <= 8)
    )


# A block's label, before a colon: "Recommendation: ..." labels an ask; "Current proposal: ...",
# "The issue: ...", "Why this matters: ..." label what is described.
_LABEL = re.compile(r"^(?P<label>[A-Z][\w '’/&()-]{0,60}?)\s*:\s+\S")
_LABEL_ALONE = re.compile(r"^(?P<label>[A-Z][\w '’/&()-]{0,40}?)\s*[.:]$")
_ASK_LABEL = re.compile(
    r"^(?:our\s+|key\s+|main\s+|specific\s+)?(?:recommendations?(?:\s+\d{1,3}[a-z]?)?|proposed\s+(?:solutions?|fix|fixes|changes?|approach"
    r"|remed(?:y|ies))|solutions?|suggested\s+(?:changes?|approach|solutions?|actions?)|requested\s+(?:actions?|changes?)"
    r"|requests?|asks?|actions?\s+(?:requested|needed|required)|what\s+we\s+(?:ask|recommend|propose))$",
    re.I,
)
_DESCRIBING_LABEL = re.compile(
    r"^(?:the\s+)?(?:current\s+(?:proposal|rule|law|requirements?|policy|approach|situation|state|practice)|proposal"
    r"|proposed\s+(?:rule|change|text|approach)|background|context|issues?|problems?(?:\s+statement)?|concerns?"
    r"|rationale|critique|why\s+(?:this|it)\s+matters|impact|analysis|observations?|findings?|example|note"
    r"|evidence|risks?)$",
    re.I,
)
# A conclusion, where recommendations made earlier are said again.
_CONCLUSION = re.compile(
    r"^(?:[IVX]+[.)]\s*|\d+[.)]?\s*)?(?:conclusions?|closing(?:\s+(?:remarks|thoughts))?|final\s+(?:thoughts|remarks)"
    r"|in\s+(?:summary|conclusion|closing)|concluding\s+remarks|summary)\b(?!\s+of\s+(?:our\s+|key\s+)?recommendations)",
    re.I,
)
_SUMMING_UP = re.compile(
    r"^(?:in\s+(?:summary|conclusion|closing|short|sum)|to\s+(?:summari[sz]e|conclude|sum\s+up|recap|reiterate)"
    r"|(?:finally\s+and\s+)?in\s+brief)\b",
    re.I,
)
# A sentence that says it repeats: "the Cooperative asks the board once more to ...", "we
# reiterate our call for ...", "as set out above, ...".
_AGAIN = re.compile(
    r"\b(?:once\s+(?:more|again)|reiterat\w*|to\s+repeat|we\s+repeat|as\s+(?:we\s+)?(?:stated|noted|set\s+out|said|mentioned"
    r"|explained|argued|recommended|described|discussed|outlined)\s+(?:above|earlier|before|previously|in\s+section))",
    re.I,
)
# A summary at the start of a response, before the body that argues each point.
_SUMMARY_HEADING = re.compile(
    r"^(?:[IVX]+[.)]\s*|\d+[.)]?\s*)?(?:executive\s+summary|summary(?:\s+of\s+(?:our\s+|the\s+|key\s+|main\s+)?"
    r"(?:recommendations|response|comments|views|position|points))?|overview|key\s+(?:points|messages|asks|recommendations)"
    r"|(?:our\s+)?(?:key\s+|main\s+)?recommendations|requested\s+actions?(?:\s+\(summary\))?)$",
    re.I,
)


def _labelled(sentence: str) -> str | None:
    """"ask" for a sentence labelled as a recommendation, "describes" for one labelled as
    description, None for others. A label may stand as a sentence of its own before what it
    labels ("Recommendation. ASTP/ONC should clarify ...").

    >>> _labelled("Recommendation: Strike the definitions."), _labelled("Current Proposal: Remove § 170.315(d)."), _labelled("We agree.")
    ('ask', 'describes', None)
    >>> _labelled("Recommendation.")
    'ask'
    """
    match = _LABEL.match(sentence.strip()) or _LABEL_ALONE.match(sentence.strip())
    if not match:
        return None
    label = match.group("label").strip()
    if _ASK_LABEL.match(label):
        return "ask"
    return "describes" if _DESCRIBING_LABEL.match(label) else None


# One recommendation set as a heading: "Recommendation 1: The Department should publish a timetable".
_RECOMMENDATION_HEADING = re.compile(r"^(?:our\s+)?recommendation(?:\s+\d{1,3}[a-z]?)?\s*[:.–-]\s+\S", re.I)
_PARAGRAPH_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})+\s+(?=\S)")
_NEUTRAL_LABEL = re.compile(
    r"(?:(?:our\s+|your\s+|any\s+(?:other\s+)?|additional\s+|further\s+)?(?:comments?|responses?|answers?|reply|replies"
    r"|views?|remarks?)|please\s+explain)\s*:\s+(?=\S)",
    re.I,
)
# A document that reports on the writer's own work or tells its reader what to do (an annual
# report, a strategy, a guide) rather than answering someone: its "must"s and "should"s are its
# own rules, not recommendations, unless it asks in so many words.
_OWN_DOCUMENT = re.compile(
    r"\b(?:annual|impact|progress|quarterly|activity|trustees['’]?)\s+report\b|\bchair(?:man|person)?['’]s\s+"
    r"(?:introduction|foreword|report)\b|\bfinancial\s+statements\b|\b(?:our|this)\s+(?:strategy|business\s+plan)\b"
    r"|^how\s+to\b|\b(?:guide|handbook|leaflet|factsheet|newsletter|minutes)\b",
    re.I,
)
# An article's furniture: a byline or a dateline at the top, a call to subscribe or share at the
# foot.
_ARTICLE_TOP = re.compile(
    r"^(?:by\s+(?:the\s+)?(?-i:[A-Z])[\w.'’-]*(?:\s+(?-i:[A-Z])[\w.'’-]*)*\s*(?:[|,·–—-]|$)|posted\b|published\b|written\s+by\b"
    r"|author\s*:|last\s+updated\b|\d{1,2}\s+min(?:ute)?s?\s+read\b)",
    re.I,
)
_ARTICLE_FOOT = re.compile(
    r"\b(?:sign\s+up|subscribe)\b[^.]{0,60}\bnewsletter\b|^share\s+(?:this|on)\b|^related\s+(?:articles|posts|stories"
    r"|reading)\b|^tags?\s*:|^filed\s+under\b",
    re.I,
)
ARTICLE_BLOCKS = 4  # blocks at the top and at the foot where an article's furniture is looked for
RESPONSE_OPENING = 10  # blocks at the top where a document says it responds (past a letter's address)
# Words with which a document says it answers someone: "Response of X to ...", "our comments",
# "In response to", "Dear ...", "we are writing to".
_RESPONDS = re.compile(
    r"\b(?:our|this|the\s+following)\s+(?:response|submission|comments?|evidence|views)\b|\bwe\s+(?:have\s+)?(?:responded"
    r"|submitted|commented|are\s+(?:responding|writing|pleased|grateful)|respond|write)\b|\bin\s+response\s+to\b"
    r"|\bresponse\s+(?:of|from|to|by|on)\b|\bcomments?\s+(?:of|from|on|to|regarding)\b|\bsubmission\s+(?:of|from|to|by|on)\b"
    r"|\bdear\b|\bevidence\s+(?:to|submitted|from)\b|\bthank\s+you\s+for\b",
    re.I,
)
_ANSWERS = re.compile(
    r"\b(?:consultation|proposals?|proposed|inquiry|call\s+for\s+evidence|respon(?:se|d|ding)|submission"
    r"|comments?\s+(?:on|from|of)|evidence\s+(?:to|submitted)|dear|draft)\b",
    re.I,
)


def _asks(sentences: list[str]) -> bool:
    """Whether a block asks a question; one that asks and recommends nothing is a question
    ("Funding. How will the new duty be paid for?"), not a recommendation or a sub-point.

    >>> _asks(["Funding.", "How will the new duty be paid for?"]), _asks(["We recommend that it is funded."])
    (True, False)
    """
    return any(is_question(sentence) and not _POLITE_ASK.search(sentence) for sentence in sentences)


def is_question(sentence: str) -> bool:
    """A sentence that ends in a question mark, before any closing quotation mark, bracket or
    footnote number ("... should the lane be widened?2"), whatever its first words.

    >>> is_question("If so, should this be done by amending the Directive?"), is_question("Is it?”[3]")
    (True, True)
    >>> is_question("We ask: what next.")
    False
    """
    return bool(_QUESTION_END.search(sentence[-20:]))


@lru_cache(maxsize=4096)
def describes_law(sentence: str) -> bool:
    """Whether a sentence gives an account of a law, a proposal or a regulator's rules (or of what
    a regulator or a court imposed) rather than the respondent's view (``_LAW_VERB`` after
    ``_LAW_BEFORE``, ``_UNDER_LAW``, ``_LAW_PASSED``, ``_IMPOSED``).

    >>> [describes_law(s) for s in ("Under the new law, gatekeepers must share APIs.", "The law requires that gatekeepers:",
    ...  "In 2023 Germany adopted a law that obliges sellers to update devices.", "The law should require audits.")]
    [True, True, True, False]
    >>> [describes_law(s) for s in ("Recently, Dutch regulators mandated that Apple must allow other payments.",
    ...  "Google was required to open its store.", "Under the proposed language, Apple would no longer need to ...")]
    [True, True, True]
    """
    says = any(_LAW_BEFORE.search(sentence, max(0, verb.start() - 60), verb.start()) for verb in _LAW_VERB.finditer(sentence))
    return bool(says or _UNDER_LAW.search(sentence) or _LAW_PASSED.search(sentence) or _IMPOSED.search(sentence))


def _inverted(sentence: str, modal: re.Match) -> bool:
    """Whether a modal stands before its subject (``_INVERTED_START``, ``_INVERTED_INSIDE``):
    a question or a condition, not advice.

    >>> [_inverted(s, _WEAK.search(s, 8)) for s in ("Question 3. Should the law be clarified",
    ...  "Yes, and if so, should this be done by law", "The law, in our view, should be clarified")]
    [True, True, False]
    """
    start = _INVERTED_START.match(sentence, _question_label_end(sentence))
    if start and modal.start() < start.end():
        return True
    return bool(_INVERTED_INSIDE.search(sentence, max(0, modal.start() - 12), modal.start())
                and _INVERTED_AFTER.match(sentence, modal.end()))


_QUESTION_LABEL = re.compile(r"(?:question|q)\s*\.?\s*\d{1,3}[a-z]?(?:\.\d{1,3})*\s*[.:)–—-]?\s*", re.I)


def _question_label_end(sentence: str) -> int:
    """Where a sentence starts after a question's label ("Question 3.", "Q6 -"), if it has one."""
    label = _QUESTION_LABEL.match(sentence)
    return label.end() if label else 0


def _statement(text: str) -> bool:
    """A whole sentence or more, rather than words completing a lead-in.

    >>> _statement("When r4 was released, there was a delay of two years."), _statement("meet every quarter;")
    (True, False)
    """
    return text[:1].isupper() and len(text.split()) >= 8 and text.rstrip().endswith((".", "!", ")", "”", '"'))


# --- the respondent's names ---------------------------------------------------------

_ORG = (
    r"Trust|Association|Society|Council|Institute|Institution|Federation|Network|Alliance|Foundation|Partnership"
    r"|Group|Company|Ltd|Limited|LLP|Inc|plc|PLC|Union|College|University|Centre|Center|Committee|Board|Forum"
    r"|Coalition|Charity|Consortium|Confederation|Organisation|Organization|League|Club|Co-?operative|Campaign"
    r"|Project|Collective|Panel|Chamber|Guild|Academy|Fund|Initiative|Clinic|Practice|Service|Services|Agency"
    r"|Authority|Commission|Community|Advocates|Action|Aid|Care|Support|Alliance"
)
_NAME_WORD = r"[A-Z][\w&'’.-]*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:of|for|and|the|on|in|&|de)\s+){{0,2}}{_NAME_WORD}){{0,9}}"
_ORG_NAME = re.compile(rf"\b(?:The\s+)?(?P<name>{_NAME})")
_ORG_WORD = re.compile(rf"\b(?:{_ORG})\b")
_NOT_NAMES = re.compile(
    r"^(?:the\s+)?(?:department|government|ministry|minister|secretary(?:\s+of\s+state)?|regulator|review|consultation"
    r"|proposals?|guidance|inspectorate|committee|commission|office|parliament|treasury|we|our|i|it|this|these|dear"
    r"|yours|response|submission|introduction|summary|chief\s+executive|director|chair|head)$",
    re.I,
)
# Names of government and the bodies a response is usually addressed to: never the respondent
# unless the caller says so.
_ADDRESSEE = re.compile(r"^(?:the\s+)?(?:department|ministry|hm\s|her\s+majesty|his\s+majesty|secretary|minister|cabinet|home\s+office|treasury)\b", re.I)
_JOB_WORDS = re.compile(
    r"^(?:(?:chief|executive|director|head|chair|chairman|chairwoman|chairperson|manager|officer|policy|secretary"
    r"|president|ceo|founder|senior|lead|adviser|advisor|coordinator|co-ordinator|general|deputy|vice|interim"
    r"|acting|public|affairs|external|of|research|campaigns|trustee|partner|principal|and|&)\b\s*)+",
    re.I,
)
# What a respondent calls its document: "response", "submission", "position paper", "contribution" ...
_PAPER = (
    r"(?:response|submission|evidence|comments|position(?:\s+(?:paper|statement))?|contribution|reply|views|feedback"
    r"|input)"
)
_SELF_FROM_TITLE = (
    re.compile(rf"^(?P<name>[A-Z][\w&.'’ -]{{1,80}}?)(?:'s|’s)?\s+{_PAPER}\s+(?:to|on)\b"),
    re.compile(rf"^(?:(?:written\s+)?{_PAPER}(?:\s+submitted)?|submitted)\s+(?:from|by|of)\s+(?:the\s+)?"
               r"(?P<name>[A-Z][\w&.'’ -]{1,80}?)(?:\s*\([A-Z][A-Za-z&]{1,12}\))?"
               r"(?:\s+(?:to|on|regarding|concerning|in\s+response\s+to)\s.*)?$", re.I),
    re.compile(r"^about\s+(?P<name>(?!this\b|us\b|our\b|the\s+response\b)[A-Z][\w&.'’ -]{1,80})$", re.I),
)
_VALEDICTION = re.compile(
    r"\b(?:yours\s+(?:faithfully|sincerely|truly)|(?:kind|best|warm|with\s+best)\s+(?:regards|wishes)|regards"
    r"|sincerely|respectfully(?:\s+submitted)?)\b,?",
    re.I,
)
_ON_BEHALF = re.compile(rf"\b(?i:on\s+behalf\s+of)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})")
_SELF_INTRODUCTION = re.compile(
    rf"^(?:\d+(?:\.\d+)*\s+)?(?:The\s+)?(?P<name>{_NAME})(?:\s*\((?:the\s+)?[\"“]?(?P<abbr>[A-Z][A-Za-z&]{{1,12}})[\"”]?\))?,?\s+"
    r"(?:welcomes|is\s+(?:pleased|grateful|delighted|glad|happy)|appreciates|thanks|responds|represents"
    r"|(?:would\s+like|wishes)\s+to\s+(?:thank|respond|comment|submit)|is\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,6}?"
    r"(?:charity|organisation|organization|association|body|network|membership|trust|federation|coalition|alliance"
    r"|company|provider|union|society|institute|group|forum|partnership|consortium|college|council|firm"
    r"|foundation|voice|umbrella|representative))\b"
)
NAME_BLOCKS = 25  # blocks at each end of a document where the respondent introduces itself


def respondent_names(blocks: list[Block], given: tuple[str, ...] | list[str] = ()) -> set[str]:
    """The names the respondent calls itself by.

    Read from the title ("X response to ..."), the letterhead (an organisation's name on the
    first lines), the sign-off ("Yours faithfully, ... Chief Executive, Northfield Trust"), "On
    behalf of X", "X welcomes the opportunity", "X is a charity ...", "About X", and the caller
    (``given``); then each name's abbreviation given in the text ("the Association of Small
    Providers (ASP)") and its short form ("the Association").

    >>> names = respondent_names(split_blocks("The Association of Small Providers (ASP) welcomes the review."))
    >>> sorted(names)
    ['ASP', 'Association of Small Providers', 'the Association']
    """
    own = [block for block in blocks if block.kind != "quote"]
    texts = [block.text.strip() for block in own]
    ends = texts[:NAME_BLOCKS] + texts[-NAME_BLOCKS:] if len(texts) > 2 * NAME_BLOCKS else texts
    found: set[str] = set()
    for n, block in enumerate(own[:40]):
        if n >= 3 and block.kind != "heading":
            continue
        for pattern in _SELF_FROM_TITLE:
            match = pattern.match(texts[n])
            if match:
                found.add(match.group("name").strip())
    for text in texts[:3]:  # the letterhead
        if len(text.split()) <= 8 and _ORG_WORD.search(text) and not re.search(r"[.:;?!]$", text):
            match = _ORG_NAME.fullmatch(text)
            if match and not re.match(r"(?i)(?:to|dear|re|subject|from)\b", text):
                found.add(match.group("name"))
    for n, text in enumerate(ends):
        found.update(_signed_by(text, ends[n + 1 : n + 6]) if _VALEDICTION.search(text) else ())
        for match in _ON_BEHALF.finditer(text):
            found.add(match.group("name"))
        match = _SELF_INTRODUCTION.match(text)
        if match:
            found.add(match.group("name"))
            if match.group("abbr"):
                found.add(match.group("abbr"))
    found = {name for name in (_tidy(name) for name in found) if name and not _ADDRESSEE.match(name)}
    found.update(_tidy(name) for name in given if name and _tidy(name))
    return _with_short_forms(found, texts)


def _tidy(name: str) -> str:
    name = re.sub(r"^(?:the|The)\s+", "", " ".join(name.split())).strip(" ,.;:'’\"")
    name = re.sub(r"(?:'s|’s)$", "", name)
    return "" if _NOT_NAMES.match(name) or len(name) < 2 else name


def _signed_by(text: str, following: list[str]) -> set[str]:
    """The organisation named after a valediction: in "Yours faithfully, Jane Smith, Chief
    Executive, Northfield Trust" it is Northfield Trust (a name with an organisation word, or the
    last part after a comma that is not a job title)."""
    tail = " ".join([text[_VALEDICTION.search(text).end():], *following])[:400]
    names = {match.group("name") for match in _ON_BEHALF.finditer(tail)}
    for part in re.split(r"[,\n]|\s{2,}", tail):
        for match in _ORG_NAME.finditer(part.strip(" .")):
            words = match.group("name").split()
            jobs = [n for n, word in enumerate(words) if _JOB_WORDS.fullmatch(word + " ") and word[:1].isupper()]
            name = " ".join(words[jobs[-1] + 1 :] if jobs else words)
            if _ORG_WORD.search(name):
                names.add(name)
    if not names:
        parts = [p.strip(" .") for p in tail.split(",") if p.strip(" .")]
        last = parts[-1] if len(parts) >= 2 else ""
        if last and re.fullmatch(_NAME, last) and len(last.split()) <= 6 and not _JOB_WORDS.fullmatch(last + " "):
            names.add(last)
    return names


def _with_short_forms(names: set[str], texts: list[str]) -> set[str]:
    """Each name with its abbreviation from the text ("Northfield Trust (NT)"), its initials when
    the text uses them as a word ("European Federation of Small Publishers", then "EFSP calls on
    ..."), and its short form ("the Trust")."""
    out = set(names)
    joined = "\n".join(texts)
    for name in names:
        for match in re.finditer(rf"{re.escape(name)}\s*\((?:the\s+|hereafter\s+)?[\"“]?(?P<abbr>[A-Z][A-Za-z&]{{1,12}})[\"”]?\)", joined):
            out.add(match.group("abbr"))
            break
        initials = "".join(word[0] for word in re.findall(r"\b[A-Z][\w'’-]*", name))
        if len(initials) >= 3 and re.search(rf"\b{initials}\b", joined):
            out.add(initials)
        head = re.split(r"\s+(?:of|for|on|in)\s+", name)[0]  # "Association" of "Association of X"
        words = _ORG_WORD.findall(head) or _ORG_WORD.findall(name)
        if words and len(name.split()) > 1:
            out.add("the " + words[-1])
    return {name for name in out if not _NOT_NAMES.match(name)}


def _recommending(names: set[str], verbs: str = _VERBS) -> re.Pattern:
    """The respondent recommending: "we urge", "the Association strongly recommends", "Northfield
    Trust, as a provider, calls on". Names are matched as written (case counts, save a leading
    "the"), pronouns in any case.

    >>> bool(_recommending({"the Trust"}).search("The Trust urges the department not to adopt it."))
    True
    >>> bool(_recommending(set()).search("The review recommends that providers publish data."))
    False
    """
    subjects = _subjects(names)
    # ... or a second verb of the same subject: "We support the definitions and urge the Department to ..."
    joined = rf"\b(?:{subjects})\b[^.;:!?]{{0,200}}?\b(?i:and|but)\s+(?i:to\s+)?(?i:\w+ly\s+)?(?i:{verbs})"
    return re.compile(rf"\b(?:{subjects}){_ASIDE}(?i:{_ADVERBS}\s+(?:{verbs}))\b|{joined}\b")


def _subjects(names: set[str]) -> str:
    """A pattern for whoever speaks for the respondent: its pronouns ("we", "our members", "this
    comment") in any case, its names as written (save a leading "the")."""
    spelled = [
        (r"[Tt]he\s+" + re.escape(name[4:]) if name.startswith("the ") else re.escape(name))
        for name in sorted(names, key=len, reverse=True)
    ]
    return rf"(?i:{_PRONOUNS})" + "".join(f"|{name}" for name in spelled)


# Someone's view, in the present or the past, and no reporting "that" needed: "Critics say the
# rules should ...", "Trade unions argue that ...", "Some member states felt that ...". Whose view
# it is decides: the respondent's ("The Trust believes the Department should ...") advises.
_THEY_SAY = re.compile(
    r"\b(?:says?|said|argues?|argued|claims?|claimed|warns?|warned|believes?|believed|feels?|felt|insists?|insisted"
    r"|contends?|contended|thinks?|thought|suggests?|wants?|demands?)\b(?!\s+by\b)",
    re.I,
)
# The word before such a verb, when it makes the verb a noun: "Claims should ...", "the calls for".
_NOUN_BEFORE = re.compile(
    r"(?:^|\b(?:the|a|an|of|for|to|and|or|in|on|by|with|this|that|these|those|such|their|its|his|her|any|all|our|each"
    r"|every|whose|which)\s+|['’]s\s+)$",
    re.I,
)


# --- result -------------------------------------------------------------------------


@dataclass
class ExtractedRecommendation:
    key: str
    text: str
    parent: str | None
    spans: list[tuple[int, int]]
    references: list[str] = field(default_factory=list)
    unresolved_references: list[str] = field(default_factory=list)
    heading: str | None = None  # the question or topic heading it was found under
    items: list = field(default_factory=list, repr=False)  # resolved framework items
    evidence: dict = field(default_factory=dict, repr=False)  # id(item) -> words matched

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "text": self.text,
            "parent": self.parent,
            "spans": [list(span) for span in self.spans],
            "references": list(self.references),
            "unresolved_references": list(self.unresolved_references),
        }


@dataclass
class _Candidate:
    spans: list[tuple[int, int]]
    heading: str | None
    children: list[_Candidate] = field(default_factory=list)
    restates: bool = False  # said in a conclusion: a recommendation made earlier, said again
    opening: bool = False  # in a summary before the body, which says each point again at length
    listed: int | None = None  # the list it is an item of (the list's first block), if any
    section: int = -1  # the heading it stands under, by block (-1 before any heading)
    titled: bool = False  # a heading that states the ask its section argues


@dataclass
class _Node:
    """A list item and the items nested under it."""

    block: Block
    children: list[_Node] = field(default_factory=list)


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


# --- repeats ------------------------------------------------------------------------

_STOPWORDS = set(
    "a an and are as at be been by for from has have in into is it its of on or our that the their "
    "there these this those to under we which with will would should could also can may".split()
)
MERGE_CONTAINMENT = 0.8
MERGE_JACCARD = 0.5
MERGE_MIN_WORDS = 4
# Work allowed for finding repeats: index entries looked at and comparisons made, per passage on
# average (generated responses of 1 MB and 4 MB use about 30 and 110), plus a floor for short texts.
MERGE_WORK = 200
MERGE_WORK_FLOOR = 20_000


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+(?:\.[0-9]+)*", text.lower())
    return {_stem(word) for word in words if word not in _STOPWORDS and len(word) > 1}


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def same_point(a: str, b: str) -> bool:
    """True when two passages make the same recommendation in (nearly) the same words."""
    return _same_words(content_words(a), content_words(b))


def _same_words(words_a: set[str], words_b: set[str]) -> bool:
    smaller = min(len(words_a), len(words_b))
    if smaller < MERGE_MIN_WORDS:
        return False
    shared = len(words_a & words_b)
    union = len(words_a) + len(words_b) - shared
    return shared / smaller >= MERGE_CONTAINMENT and shared / union >= MERGE_JACCARD


def _merge_repeats(text: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """Each candidate joins the first earlier kept one that makes the same point, else is kept.

    Comparing every pair is quadratic (a 256 KB response with 600 recommendations made 190,000
    comparisons), so a candidate is only compared with kept passages that share one of the
    rarest words of both (prefix filtering), which finds every pair ``_same_words`` accepts:

    - two passages of s <= l words making the same point share at least MERGE_CONTAINMENT * s
      words, and at least MERGE_JACCARD * l (a Jaccard similarity J means sharing
      J * (s + l) / (1 + J) words, which needs s >= J * l);
    - with the words of every passage in one order (rarest in the document first), two sets
      sharing at least k words have their first shared word among the first n - k + 1 of each.

    So each kept passage is indexed by its few rarest words, for when it is the smaller of a pair,
    and by more of them, for when it is the larger (``_prefix``). The passages found are tried in
    the order kept, so the result is the same as trying every kept passage in turn.

    A text can still be written so that every passage shares its rarest words with most others
    (thousands of different recommendations in the same hundred words), and comparing them would
    be quadratic again. So the work is held to ``MERGE_WORK`` per passage; once that is spent,
    only word-for-word repeats (the same words) are merged. Real and generated responses use a
    fraction of it.
    """
    words = [content_words(text[slice(*candidate.spans[0])]) for candidate in candidates]
    frequency = Counter(word for found in words for word in found)
    kept: list[_Candidate] = []
    kept_words: list[set[str]] = []
    kept_size: list[int] = []
    kept_spans: list[set[tuple[int, int]]] = []
    as_smaller: dict[str, list[int]] = defaultdict(list)  # rare word -> kept passages, by index
    as_larger: dict[str, list[int]] = defaultdict(list)
    same_words: dict[frozenset[str], int] = {}  # the first kept passage with these words
    work = MERGE_WORK * len(candidates) + MERGE_WORK_FLOOR
    for candidate, found in zip(candidates, words):
        size = len(found)
        rarest = []  # fewer than MERGE_MIN_WORDS words are never the same point as anything
        if size >= MERGE_MIN_WORDS:
            rarest = sorted(found, key=lambda word: (frequency[word], word))
        few, more = rarest[: _prefix(size, MERGE_CONTAINMENT)], rarest[: _prefix(size, MERGE_JACCARD)]
        entries = sum(len(as_larger.get(word, ())) for word in few) + sum(len(as_smaller.get(word, ())) for word in more)
        if entries <= work:
            # Sizes too far apart cannot reach MERGE_JACCARD: the smaller has J * the larger's words
            # or more (a word of slack against rounding).
            sharing = {k for word in few for k in as_larger.get(word, ())
                       if size <= kept_size[k] <= size / MERGE_JACCARD + 1}
            sharing.update(k for word in more for k in as_smaller.get(word, ())
                           if size * MERGE_JACCARD - 1 <= kept_size[k] <= size)
            work -= entries + len(sharing)
            twin = next((k for k in sorted(sharing) if _same_words(kept_words[k], found)), None)
        else:
            twin = same_words.get(frozenset(found)) if rarest else None
        if twin is None:
            for word in few:
                as_smaller[word].append(len(kept))
            for word in more:
                as_larger[word].append(len(kept))
            kept.append(candidate)
            kept_words.append(found)
            kept_size.append(size)
            kept_spans.append(set(candidate.spans))
            same_words.setdefault(frozenset(found), len(kept) - 1)
            continue
        first, spans = kept[twin], kept_spans[twin]
        for span in candidate.spans:
            if span not in spans:
                spans.add(span)
                first.spans.append(span)
        first.children.extend(candidate.children)
        first.heading = first.heading or candidate.heading
    return kept


# A repeat inside a section. An ask is said again in its own section, in other words, when it
# refers back to it (``_BACK_REFERENCE``, ``_THIS_PROPOSED``, a demonstrative naming what the ask
# named) or says nothing the ask did not. One that says it is new is never a repeat.
_NEW_ASK = re.compile(
    r"\b(?:also|further(?:more)?|in\s+addition|additional(?:ly)?|another|secondly|thirdly|finally|lastly|separately"
    r"|moreover)\b|^(?:second|third|fourth|next),",
    re.I,
)
_BACK_REFERENCE = re.compile(
    r"^(?:with\s+(?:this|that|these)\s+in\s+mind|in\s+(?:the\s+)?light\s+of\s+(?:this|that|the\s+above)|given\s+(?:this"
    r"|the\s+above)|as\s+(?:(?:noted|stated|set\s+out|said|explained|mentioned|argued)\s+)?above|as\s+before|again"
    r"|to\s+(?:repeat|reiterate)|as\s+such|for\s+(?:this|that|these)\s+reasons?|(?:this|that)\s+is\s+why|hence"
    r"|accordingly|therefore)\b,?\s*",
    re.I,
)
# "We propose this be a fourth remedy ...", "we ask that this is ...", "this should be made ...":
# the ask just made, asked for again.
_THIS_PROPOSED = re.compile(
    r"\b(?:propose|recommend|suggest|ask|urge|request)s?\s+(?:that\s+)?(?:this|it)\s+(?:be|is|becomes?|should|must)\b"
    r"|^(?:this|it)\s+(?:should|must)\s+(?:therefore\s+)?(?:be|become)\s+(?:a|an|the|one)\b",
    re.I,
)
# A subject named with a demonstrative, "this remedy needs ...", "such a standpipe should ...",
# "This rent freeze should ...": what is named again, by its last word.
_DEMONSTRATIVE = re.compile(
    r"\b(?:this|these|those|such(?:\s+an?)?|the\s+same)\s+((?:[a-z][\w-]*\s+){0,2}?([a-z][\w-]*))"
    r"(?=\s+(?:should|must|would|will|needs?|is|are|be|could|can|may|ought)\b)",
    re.I,
)
SECTION_LOOKBACK = 12  # earlier asks of the section a passage is compared with, nearest first
SECTION_HEADING_SHARE = 0.6  # a heading's words a passage of its section holds, to say the heading's ask again
SECTION_CONTAINED = 0.8  # a passage's words an earlier ask holds, to say nothing new
SECTION_BACK_SHARE = 0.5  # ... or, when it refers back ("With this in mind, ..."), to say it again


def _merge_section_repeats(text: str, tops: list[_Candidate], names: set[str]) -> list[_Candidate]:
    """An ask said again inside its own section joins the ask it repeats (its span is added, the
    first wording kept). Within a section, and only with the ``SECTION_LOOKBACK`` asks before it
    (so a long response stays linear), a passage repeats an ask when:

    - the ask is the section's heading ("## iOS must allow third party browser engines") and the
      passage holds ``SECTION_HEADING_SHARE`` of its words ("Apple should allow third-party browser
      engines on iOS ...");
    - it asks for "this" again ("We propose this be a fourth remedy that the regulator considers"):
      the ask just before it;
    - it names with a demonstrative what an ask named ("With this in mind, we believe this remedy
      needs to be strengthened ...", "As above, such a standpipe should ..."), and nothing between
      them names it (in "Bulk FHIR establishes a foundation. We propose that this foundation be
      preserved" the foundation is the one just described, not an earlier ask's);
    - it refers back ("With this in mind", "As above") and holds ``SECTION_BACK_SHARE`` of its
      words in the ask, or says nothing the ask did not (``SECTION_CONTAINED`` of its words, three
      or more: "Close collaboration with the banks is needed" after asking to work in close
      collaboration with the banks).

    A passage that says it is new ("should also", "in addition", ``_NEW_ASK``), a lead-in with
    items, an item of the same list as the ask (or of any list, for a heading's ask: the items
    under "Apple must open its platform" are asks of their own), a summary's or a conclusion's passage (left to
    ``_merge_restatements``) never joins; a demonstrative naming something no ask named ("This
    scheme should be advertised") stays an ask of its own.

    >>> text = ("Rents\\n\\nThe council should freeze allotment rents for three years. The council should also offer "
    ...         "half-price plots. This rent freeze should apply to every site.\\n")
    >>> [(r.text, len(r.spans)) for r in extract_recommendations(text)]
    [('The council should freeze allotment rents for three years.', 2), ('The council should also offer half-price plots.', 1)]
    """
    ignored = _root_words(" ".join(_ASKING_WORDS)) | {word for name in names for word in _root_words(name)}
    kept: list[_Candidate] = []
    sections: dict[int, list[tuple[_Candidate, set[str]]]] = defaultdict(list)
    for top in tops:
        passage = text[slice(*top.spans[0])]
        back = _BACK_REFERENCE.match(passage)  # its words are those after "With this in mind, "
        words = _root_words(passage[back.end():] if back else passage) - ignored
        earlier = sections[top.section][-SECTION_LOOKBACK:]
        target = None
        if not (top.opening or top.restates or top.children or top.titled):
            target = _repeated(text, passage, back, words, top, earlier)
        if target is None:
            kept.append(top)
            if not (top.opening or top.restates):
                sections[top.section].append((top, words))
            continue
        target.spans.extend(span for span in top.spans if span not in target.spans)
    return kept


def _repeated(text: str, passage: str, back: re.Match | None, words: set[str], top: _Candidate,
              earlier: list[tuple[_Candidate, set[str]]]) -> _Candidate | None:
    """The ask of ``earlier`` (same section, in order) that ``passage`` says again, if any (see
    ``_merge_section_repeats``); ``back``: its opening words that refer back, if any."""
    earlier = [(ask, theirs) for ask, theirs in earlier if top.listed is None or ask.listed != top.listed]
    if not earlier or _NEW_ASK.search(passage):
        return None
    for ask, theirs in reversed(earlier):
        if ask.titled and top.listed is None and len(theirs & words) >= max(2, SECTION_HEADING_SHARE * len(theirs)):
            return ask  # (the items of a list under it are asks of their own)
    rest = passage[back.end():] if back else passage
    if _THIS_PROPOSED.search(rest):
        return earlier[-1][0]
    first = split_sentences(rest)[0] if rest.strip() else (0, 0)  # named in the passage's first sentence
    named = {_root(_stem(match.group(2).lower())) for match in _DEMONSTRATIVE.finditer(rest, 0, first[1])}
    named -= _STOPWORD_ROOTS
    for ask, theirs in reversed(earlier):
        shared = len(theirs & words)
        if named & theirs:  # ... if nothing between them names it: the nearest mention is the ask
            between = text[ask.spans[0][1] : top.spans[0][0]]
            return None if named & theirs & _root_words(between) else ask
        if back and shared >= 2 and shared >= SECTION_BACK_SHARE * len(words):
            return ask
        if len(words) >= 3 and shared >= SECTION_CONTAINED * len(words):
            return ask
    return None


# Words that say how something is asked or said again, not what: they never tell two asks apart.
_ASKING_WORDS = frozenset(
    "urge urges urged recommend recommends recommended recommendation recommendations ask asks asked request requests"
    " requested respectfully strongly encourage encourages encouraged call calls called propose proposes suggest"
    " suggests must need needs believe believes like see ensure ensures consider considers please therefore continue"
    " again once more finally closing conclusion conclude summary summarise summarize short sum reiterate whole"
    " support supports urgently following follows above below comment comments point points area areas paper"
    " response document letter".split()
)
# What a restatement shares with the ask it repeats, by weight of distinctive words: at least
# the first share of the shorter of the two, and the second of its own words. An item of a closing
# list is there to repeat; a closing sentence may be a last new ask ("Finally, ..."); the body
# argues a summary's points but adds asks of its own.
RESTATED_SCORE = {"closing item": (0.3, 0.2), "closing": (0.4, 0.3), "body": (0.5, 0.0)}
RESTATED_MARGIN = 1.5  # ... and it must share that many times more with it than with any other ask
RESTATED_BOTH = 0.45  # a closing passage that repeats several asks at once: its share of words they hold
RESTATED_HEADING = 0.1  # added when the heading above a passage of the body names the summary's ask
RESTATED_POSTINGS = 20  # a word said in more asks than this tells none apart: not looked up
RESTATED_WORK = 50  # comparisons per restatement at most, on average (plus a floor for short texts)


def _merge_restatements(text: str, tops: list[_Candidate], blocks: list[Block], names: set[str]) -> list[_Candidate]:
    """A recommendation said again in other words joins the one it repeats, keeping the first
    wording and adding the new span. Where it stands says it repeats: in a conclusion or a closing
    paragraph ("To conclude, ...", "In closing, the Cooperative asks the board once more to ...")
    or a closing list (``_closing_list``) it repeats an earlier ask; in the body after a summary at the start ("Summary",
    "Executive summary", "Key recommendations" before any argument) it may argue an ask of the
    summary again: the first ask under a heading (which often names it) states the point its
    section argues. Which ask it repeats is told by the
    distinctive words they share (``_Targets.best``): every word weighs by how few of the
    document's blocks use it, words of asking and the respondent's names weigh nothing, and the
    pair must share two words or more and ``RESTATED_SCORE`` of the weight, with no other ask
    close (``RESTATED_MARGIN``). A summary's ask takes at most one passage of the body, the one
    most like it. Two different asks merged lose one of them, a repeat left is only a duplicate:
    when in doubt, nothing is merged.

    >>> text = ("Summary\\n\\nWe urge the ministry to close the sandeel fishery in the North Sea.\\n\\nSandeels\\n\\n"
    ...         "The ministry should stop all sandeel fishing in the North Sea.\\n\\nFees\\n\\nFees should be waived.\\n"
    ...         "\\nConclusion\\n\\nThe sandeel fishery must close.\\n")
    >>> [(r.text, len(r.spans)) for r in extract_recommendations(text)]
    [('We urge the ministry to close the sandeel fishery in the North Sea.', 3), ('Fees should be waived.', 1)]
    """
    last = next((top for top in reversed(tops) if not (top.opening or top.restates)), None)
    if not any(top.restates or top.opening for top in tops) and (
        last is None or (last.listed is None and len(last.children) < 2)
    ):
        return tops  # nothing said again, and no list at the end that may say it
    restatements = _Restatements(text, blocks, names, len(tops))
    owner = _argued_points(tops, restatements)  # id(body ask) -> the summary's ask it argues
    earlier = restatements.targets()  # asks made before a conclusion
    kept: list[_Candidate] = []
    # The body's last list of asks (or last lead-in with its items), after which only
    # restatements come: a closing list, if its items repeat (``_closing_list``).
    last = next((top for top in reversed(tops) if not (top.opening or top.restates or id(top) in owner)), None)
    closing = [top for top in tops if last is not None and last.listed is not None and top.listed == last.listed
               and not (top.opening or top.restates or id(top) in owner)]
    for top in tops:
        if closing and top is closing[0]:
            _closing_list(closing, earlier)
        if top is last and len(top.children) >= 2 and not closing:
            _closing_list(top.children, earlier, top)  # "Our members ask for the following:" ...
        if not top.restates:
            if id(top) in owner:
                target = owner[id(top)]
                target.spans.extend(span for span in top.spans if span not in target.spans)
                target.children.extend(top.children)
            else:
                kept.append(top)
            earlier.add(top, owner.get(id(top), top))
            continue
        had_children = bool(top.children)
        for child in list(top.children):
            target = earlier.best(child, "closing item")
            if target is not None:
                target[1].spans.append(child.spans[0])
                top.children.remove(child)
        if had_children and not top.children:
            continue  # "In summary, we ask the council to:" said nothing but what it listed
        target = earlier.best(top, "closing") if not top.children else None
        if target is not None:
            target[1].spans.extend(top.spans)
            continue
        kept.append(top)
    return kept


def _closing_list(items: list[_Candidate], earlier: _Targets, lead_in: _Candidate | None = None) -> None:
    """The last list of asks of a response, most of whose items repeat asks made before it (two
    or more, and at least half), is a closing list whatever its heading: all its items are read as
    restatements, so those that repeat join their ask and the others stay new ones (the items of
    a lead-in stay under it)."""
    if len(items) < 2:
        return
    repeats = sum(earlier.best(item, "closing") is not None for item in items)
    if repeats >= max(2, len(items) / 2):
        for item in [lead_in] if lead_in else items:
            item.restates = True


def _argued_points(tops: list[_Candidate], restatements: _Restatements) -> dict[int, _Candidate]:
    """Asks of the body that argue an ask of a summary at the start, by ``id``: the first ask
    under a heading of the body (which often names the point) states the point its section
    argues. A summary's ask takes at most one of them, the one most like it (see
    ``_merge_restatements``)."""
    openings = restatements.targets()  # a summary's asks, and their sub-points
    argued: list[tuple[float, int, _Candidate, _Candidate]] = []  # (score, order, body ask, summary ask)
    section: str | None = None  # the heading of the last ask of the body
    for top in tops:
        if top.opening:
            for node in (top, *top.children):
                openings.add(node)
            continue
        if top.restates or not openings:
            continue
        opens_section = top.heading is not None and top.heading != section
        section = top.heading
        target = openings.best(top, "body", top.heading) if opens_section else None
        if target is not None:
            argued.append((target[0], len(argued), top, target[1]))
    owner: dict[int, _Candidate] = {}
    taken: set[int] = set()
    for _, _, top, target in sorted(argued, key=lambda match: (-match[0], match[1])):
        if id(target) not in taken:
            taken.add(id(target))
            owner[id(top)] = target
    return owner


class _Restatements:
    """The weights of a document's words, and lookups of the ask a passage repeats.

    A word weighs log(blocks / blocks using it): "sandeel" in three blocks of twenty weighs more
    than "ministry" in twelve. Each ask is indexed by its words (``_Targets``); a passage is
    compared only with the asks that share one of its words, skipping words that more than
    ``RESTATED_POSTINGS`` asks use (they weigh little and decide nothing), and within a budget of
    ``RESTATED_WORK`` comparisons a passage, so a long response stays near-linear."""

    def __init__(self, text: str, blocks: list[Block], names: set[str], size: int):
        self.text = text
        frequency: Counter[str] = Counter()
        for block in blocks:
            frequency.update(_root_words(block.text))
        total = len(blocks) + 1
        self.ignored = _root_words(" ".join(_ASKING_WORDS)) | {word for name in names for word in _root_words(name)}
        self.weight = {word: math.log(total / count) for word, count in frequency.items() if word not in self.ignored}
        self.work = RESTATED_WORK * size + 2_000

    def words(self, text: str) -> dict[str, float]:
        return {word: self.weight.get(word, 0.0) for word in _root_words(text) if word not in self.ignored}

    def targets(self) -> _Targets:
        return _Targets(self)


def _root_words(text: str) -> set[str]:
    """``content_words`` cut a little further, so that a paraphrase's forms meet: "reimbursement"
    and "reimburse", "appeals" and "appeal", "creation" and "create".

    >>> sorted(_root_words("reimbursement appeals creation")) == sorted(_root_words("reimburse appeal create"))
    True
    """
    return {_root(word) for word in content_words(text)}


@lru_cache(maxsize=65536)
def _root(word: str) -> str:
    return _ROOT_ENDING.sub("", word) if len(word) > 5 else word


_ROOT_ENDING = re.compile(r"(?:e?ment|ion|ly|e)$")
_STOPWORD_ROOTS = frozenset(_root(_stem(word)) for word in _STOPWORDS)


class _Targets:
    def __init__(self, restatements: _Restatements):
        self.owner = restatements
        self.nodes: list[tuple[_Candidate, dict[str, float], float]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)

    def __bool__(self) -> bool:
        return bool(self.nodes)

    def add(self, node: _Candidate, merged_into: _Candidate | None = None) -> None:
        """Index ``node``'s words; an ask found to argue a summary's ask stands for that one."""
        words = self.owner.words(self.owner.text[slice(*node.spans[0])])
        for word in words:
            self.postings[word].append(len(self.nodes))
        self.nodes.append((merged_into or node, words, sum(words.values())))

    def best(self, candidate: _Candidate, place: str, heading: str | None = None) -> tuple[float, _Candidate] | None:
        """The ask ``candidate`` says again and the share of words they have in common, if one
        stands out (see ``_merge_restatements``); ``place`` is where it stands ("closing item",
        "closing", "body"), which sets the share it needs (``RESTATED_SCORE``). A heading over it
        that names the ask adds ``RESTATED_HEADING`` ("Quota for small boats" over "... should
        not lose any part of its share")."""
        words = self.owner.words(self.owner.text[slice(*candidate.spans[0])])
        titled = self.owner.words(heading) if heading else {}
        found = {n for word in words for n in self.postings.get(word, ())[: RESTATED_POSTINGS + 1]
                 if len(self.postings[word]) <= RESTATED_POSTINGS}
        self.owner.work -= len(found) + len(words)
        if self.owner.work < 0 or not found:
            return None
        own = sum(words.values())
        scores = []
        for n in found:
            node, theirs, their_weight = self.nodes[n]
            shared = words.keys() & theirs.keys()
            if len(shared) >= 2 and min(own, their_weight) > 0:
                weight = sum(theirs[word] for word in shared)
                named = sum(theirs[word] for word in titled.keys() & theirs.keys())
                bonus = RESTATED_HEADING if titled and named >= 0.5 * sum(titled.values()) > 0 else 0.0
                scores.append((weight / min(own, their_weight) + bonus, weight / own, -n, node, shared))
        scores.sort(key=lambda score: (score[0], score[2]), reverse=True)
        seen: set[int] = set()  # two wordings of one ask (a summary's and its section's) are one
        scores = [score for score in scores if id(score[3]) not in seen and not seen.add(id(score[3]))]
        if not scores:
            return None
        first, second = scores[0], (scores[1] if len(scores) > 1 else None)
        alike = second is not None and first[0] < RESTATED_MARGIN * second[0]  # which one, unclear
        least, least_own = RESTATED_SCORE[place]
        if first[0] >= least and first[1] >= least_own and not alike:
            return first[0], first[3]
        # A closing passage may repeat several asks at once ("EFSP urges the Commission once
        # again to leave the right untouched and to give rightholders a way to opt out"): if
        # together they hold enough of its words, it joins the one it is most like.
        floor = RESTATED_SCORE["closing item"][0]
        several = [score for score in scores if score[0] >= floor]
        if place != "body" and len(several) >= 2:
            held = set().union(*(score[4] for score in several))
            if sum(words[word] for word in held) / own >= RESTATED_BOTH:
                return first[0], first[3]
        return None


def _prefix(size: int, share: float) -> int:
    """How many of a passage's ``size`` rarest words hold the first word it shares with any
    passage it has at least ``share * size`` words in common with (see ``_merge_repeats``)."""
    shared = max(math.ceil(share * size) - 1, 1)  # one less than the bound, against rounding
    return size - shared + 1


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
