"""Documents the tests and benchmarks generate: long responses built to be slow to read, and the
same text written out as Word, PDF, HTML and email. Shared by ``tests/`` and ``bench/`` (which
imports it as ``tests.documents``), so both measure the same inputs."""
from __future__ import annotations

import functools
import io
import itertools
import random
import re
import textwrap
import zipfile
import zlib
from email.message import EmailMessage
from html import escape
from pathlib import Path

import docx

from consultations.readers import DOCX_TYPE, xml_bytes

DEMO = Path(__file__).resolve().parent.parent / "tracker" / "demo_data"

# --- a long response ---------------------------------------------------------------------------

RESPONDENT = "Northshire Trust"
ACTORS = ("the inspectorate", "HM Inspectorate of Probation", "probation providers", "inspectors",
          "community rehabilitation companies", "the National Probation Service", "commissioners")
OPENERS = ("We recommend that {actor}", f"{RESPONDENT} urges {{actor}} to", "We call on {actor} to",
           "We would like to see {actor}", "{Actor} should", "It is recommended that {actor}",
           "We strongly recommend that {actor}", "We would also urge {actor} to")
REFERENCES = ("under standard 1.2", "in domain three", "under 4.1.2", "standards 1.1, 1.3 and 2.3",
              "question 4.1.3 of domain three", "standard 9.9", "strategic objective 1", "")


@functools.cache
def vocabulary() -> tuple[list[str], list[float]]:
    """Words of the demo data (frequent first), then a long tail of made-up names: drawn with
    Zipf weights, recommendations share common words and differ in rarer ones, as real ones do."""
    counts: dict[str, int] = {}
    for path in sorted(DEMO.rglob("*")):
        if path.suffix in (".txt", ".yaml"):
            for word in re.findall(r"[a-z]{3,}", path.read_text(encoding="utf-8").lower()):
                counts[word] = counts.get(word, 0) + 1
    syllables = ("ash", "bro", "cal", "den", "elm", "fer", "gar", "hol", "ing", "kel", "lor", "mar",
                 "nor", "ost", "pen", "quin", "ros", "sta", "tre", "ul", "ven", "wick", "yar", "zel")
    words = sorted(counts, key=lambda w: (-counts[w], w))
    words += ["".join(parts) for parts in itertools.product(syllables, repeat=3)]
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
    return words, weights


class _Writer:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.said: list[str] = []  # recommendations so far, to repeat

    def words(self, low: int, high: int) -> str:
        words, weights = vocabulary()
        return " ".join(self.rng.choices(words, cum_weights=weights, k=self.rng.randint(low, high)))

    def recommendation(self) -> str:
        actor = self.rng.choice(ACTORS)
        opener = self.rng.choice(OPENERS).format(actor=actor, Actor=actor[0].upper() + actor[1:])
        reference = self.rng.choice(REFERENCES)
        text = f"{opener} {self.words(8, 40)}{' ' + reference if reference else ''}."
        self.said.append(text)
        return text

    def repeat(self) -> str:
        """An earlier recommendation again: word for word, with a word changed, or with more said."""
        earlier = self.rng.choice(self.said) if self.said else self.recommendation()
        kind = self.rng.randrange(3)
        if kind == 1:
            words = earlier.split()
            words[self.rng.randrange(len(words))] = self.words(1, 1)
            earlier = " ".join(words)
        elif kind == 2:
            earlier = earlier[:-1] + f" and {self.words(1, 3)}."
        return earlier

    def sentence(self) -> str:
        kind = self.rng.randrange(7)
        if kind == 0:
            return f"This should include {self.words(4, 12)}."
        if kind == 1:
            body = self.rng.choice(("review", "committee", "report"))
            return f"The {body} found that {self.rng.choice(ACTORS)} should {self.words(4, 12)}."
        if kind == 2:
            return (f"In {self.rng.randint(2001, 2019)}, {self.rng.randint(2, 900)} people, e.g. {self.words(2, 5)}, "
                    f"i.e. {self.words(2, 4)} etc. said {self.words(5, 14)}.")
        if kind == 3:
            return f"We welcome {self.words(3, 10)} and **{self.words(1, 4)}** as well as ** {self.words(2, 5)}."
        if kind == 4:
            return f"As one person put it, “{self.words(4, 10)}” – and we agree (see p. 4)."
        return self.words(8, 25).capitalize() + "."

    # -- chunks of a response, each a list of lines ---------------------------------------

    def prose(self) -> list[str]:
        sentences = []
        for _ in range(self.rng.randint(2, 8)):
            if self.rng.random() < 0.6:
                sentences.append(self.recommendation())
                sentences.extend(f"This should include {self.words(6, 20)}." for _ in range(self.rng.randrange(3)))
            else:
                sentences.append(self.sentence())
        return [" ".join(sentences)]

    def wrapped(self) -> list[str]:
        return textwrap.wrap(self.prose()[0], 72)  # hard-wrapped, as PDF text is

    def repeats(self) -> list[str]:
        return [" ".join(self.repeat() for _ in range(self.rng.randint(1, 4)))]

    def lead_in(self) -> list[str]:
        lines = ["To do so we recommend action in the following areas:"]
        for _ in range(self.rng.randint(2, 8)):
            lines.append(f"- {self.words(5, 15).capitalize()}.")
            for m in range(self.rng.randrange(3)):
                lines.append(f"  {chr(97 + m)}) {self.words(4, 10)}.")
                lines.extend(f"    {'i' * (k + 1)}. {self.words(3, 8)}." for k in range(self.rng.randrange(3)))
        return lines

    def numbered(self) -> list[str]:
        lines = []
        for n in range(1, self.rng.randint(2, 12)):
            lines.append(f"{n}. {self.recommendation()}")
            lines.extend(f"   {chr(97 + m)}) {self.sentence()}" for m in range(self.rng.randrange(3)))
        return lines

    def unpunctuated(self) -> list[str]:
        """A long paragraph without a full stop, as a form's free-text box may give."""
        return [" ".join(self.words(10, 30) + " should" for _ in range(self.rng.randint(5, 25)))]

    def references(self) -> list[str]:
        codes = ", ".join(f"{a}.{b}" for a, b in zip(range(self.rng.randint(5, 60)), itertools.cycle((1, 2, 3))))
        return [f"We recommend that standards {codes} and domains two and three apply to {self.words(3, 8)}."]

    def furniture(self) -> list[str]:
        return [f"Page {self.rng.randint(1, 400)} of 400", "", f"{RESPONDENT} response", "",
                f"{self.rng.randint(1, 28)} April 2019"]

    def question(self) -> list[str]:
        return [f"Question {self.rng.randint(1, 40)}: Do you agree with the proposals on {self.words(2, 6)}?"]

    CHUNKS = ("prose", "prose", "prose", "prose", "wrapped", "numbered", "numbered", "repeats", "repeats",
              "lead_in", "unpunctuated", "references", "furniture", "question", "question")


def generated_response(size: int, seed: int = 0, *, summary: bool = True) -> str:
    """A written response of about ``size`` characters built to be slow to read: a summary of
    distinct recommendations, a body that says them again (word for word and nearly), lists
    nested three deep, long paragraphs without punctuation, one huge line, page furniture,
    emphasis, abbreviations and references. The same ``size`` and ``seed`` give the same text."""
    writer = _Writer(seed)
    head = [f"{RESPONDENT} response to the consultation on the inspection of probation services", "",
            f"About {RESPONDENT}", "", f"{RESPONDENT} is a charity. {writer.sentence()}", "",
            *(["Summary of recommendations", ""] if summary else [])]
    footer = ["Endnotes", "", "1. A note kept out of the recommendations."]
    budget = size - sum(len(line) + 1 for line in footer)  # characters, not bytes
    lines, length = list(head), sum(len(line) + 1 for line in head)
    huge_at = size // 2
    while True:
        if huge_at is not None and length >= huge_at:
            chunk = [" ".join(writer.repeat() if writer.rng.random() < 0.3 else writer.sentence()
                              for _ in range(max(1, size // 16 // 150)))]
            huge_at = None
        elif len(lines) < 400 and length < size // 8:
            chunk = writer.numbered()
        else:
            chunk = getattr(writer, writer.rng.choice(_Writer.CHUNKS))()
        added = sum(len(line) + 1 for line in chunk) + 1
        if length + added > budget:
            break
        lines.extend([*chunk, ""])
        length += added
    filler = budget - length - 2  # one last paragraph brings the text to exactly ``size`` characters
    if filler > 0:
        words = writer.words(filler // 3 + 1, filler // 3 + 1)
        lines.extend([("Finally " + words)[:filler].ljust(filler, "."), ""])
    return "\n".join([*lines, *footer]) + "\n"


# --- the same text in each format -------------------------------------------------------------


def as_docx(paragraphs: list[str]) -> bytes:
    """A Word document with one plain paragraph each."""
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_pdf(paragraphs: list[str], lines_per_page: int = 50, pages: int | None = None) -> bytes:
    """A plain PDF written by hand: Helvetica in WinAnsi encoding, 90 characters a line, on
    ``pages`` pages if given."""
    lines = [line for paragraph in paragraphs for line in [*textwrap.wrap(paragraph, 90), ""]]
    pages = pages or -(-len(lines) // lines_per_page)
    streams = []
    for page in range(pages):
        ops = ["BT", "/F1 10 Tf", "14 TL", "60 760 Td"]
        ops += [f"({pdf_string(line)}) Tj T*" for line in lines[page * len(lines) // pages:(page + 1) * len(lines) // pages]]
        streams.append("\n".join([*ops, "ET"]).encode("cp1252", "replace"))  # WinAnsi: curly quotes and dashes too
    return pdf_with_pages(streams, b"/Encoding /WinAnsiEncoding")


def pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_with_pages(streams: list[bytes], font: bytes = b"", compress: bool = False) -> bytes:
    """A minimal valid PDF with one page for each content stream, in Helvetica (``font`` adds to
    its dictionary); an empty stream makes a page without text, like a scanned image."""
    objects: list[bytes | None] = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
                                   b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica %s>>" % (font + b" " if font else b"")]
    kids = []
    for stream in streams:
        if compress:
            stream = zlib.compress(stream, 9)
        flate = b" /Filter /FlateDecode" if compress else b""
        objects.append(b"<< /Length %d%s >>\nstream\n" % (len(stream), flate) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def padded_docx(data: bytes, xml: int, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A Word document with empty paragraphs added at its end until its XML parts come to
    ``xml`` bytes: the slowest kind of XML to read, to the last byte allowed. Stored without
    compression (``zipfile.ZIP_STORED``), it passes the decompression-bomb checks at any size."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    body = parts["word/document.xml"]
    end = body.rindex(b"<w:sectPr")
    parts["word/document.xml"] = body[:end] + b"<w:p/>" * ((xml - xml_bytes(data)) // 6) + body[end:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def as_html(paragraphs: list[str]) -> bytes:
    """A web page with one ``<p>`` each."""
    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return f"<!DOCTYPE html><html><head><title>Response</title></head><body>{body}</body></html>".encode()


def as_eml(attachment: bytes, note: str = "", name: str = "clinks-response.docx",
           maintype: str = "application", subtype: str = DOCX_TYPE.split("/")[1]) -> bytes:
    """An email with a short body and one attachment (a Word document unless told otherwise)."""
    message = EmailMessage()
    message["From"], message["To"] = "Jo Bloggs <jo@example.org>", "consultation@inspectorate.example"
    message["Subject"], message["Date"] = "Clinks response", "Fri, 12 Apr 2019 10:30:00 +0100"
    message.set_content(f"Please find our response attached.{note}")
    message.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
