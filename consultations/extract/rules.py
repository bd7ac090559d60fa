"""What counts as a recommendation (step 4): the verbs and patterns of asking, and what never
counts (questions, descriptions of the law, section titles, labels).

Over 500 lines on purpose: the patterns are one vocabulary, tuned together against the gold
corpus (``bench/eval.py``), and each one's example sits beside it; cutting the vocabulary in two
would separate patterns that are read (and changed) together."""
from __future__ import annotations

import re
from functools import lru_cache


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
