"""Random and mutated documents: whatever arrives, the readers either read it or refuse it with a
``ReadError`` (the message the upload page shows), the cleaner and the extractor never fail, and
nothing takes longer than a bound proportional to its size.

Hypothesis draws the inputs; ``derandomize`` makes every run draw the same ones, so CI is stable,
and ``max_examples`` keeps the whole file to a few seconds. Files are read in this process (no
time limit), so a slow parser path would show here as a broken bound rather than be stopped.
"""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_readers import DOCX, PNG, make_eml, make_pdf

from consultations.cleaning import _EMPHASIS, _strip_emphasis, clean_text
from consultations.extract import extract_recommendations
from consultations.readers import DOCX_TYPE, DocumentLimits, ReadError, read_document
from conftest import cpu_time

FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SECONDS_PER_MB = 20  # the same rate the upload page is held to (tests/tracker/staff/test_upload.py)
FLOOR = 1.0  # seconds any small input may take (imports, a PDF's first page)
LIMITS = DocumentLimits(max_characters=200_000)


def bound(size: int) -> float:
    return FLOOR + SECONDS_PER_MB * size / 1_000_000


def read_or_refuse(name: str, data: bytes) -> None:
    """Reads ``data`` as the upload page would; anything but a ReadError fails the test."""
    start = cpu_time()
    try:
        document = read_document(name, data, limits=LIMITS)
    except ReadError as error:
        assert str(error).strip(), "a refusal says why"
    else:
        assert document.text.strip() and "\x00" not in document.text
    seconds = cpu_time() - start
    assert seconds < bound(len(data)), f"{len(data):,} bytes took {seconds:.2f} s"


# Pieces of the formats' own syntax, so that mutations reach past the first check of each parser.
TOKENS = [b"<", b"</", b"<![", b"<!--", b"-->", b"<?", b"&#", b"&amp", b"<p>", b"<li>", b"</ol>", b"<script>",
          b"<w:p>", b"</w:p>", b"<w:r><w:t>", b"\r\n", b"\r\n\r\n", b"--", b"=?utf-8?q?", b"Content-Type: ",
          b"multipart/mixed; boundary=", b"base64", b"obj", b"endobj", b"stream", b"endstream", b" R ", b"<<", b">>",
          b"/Kids [", b"xref", b"trailer", b"%%EOF", b"Tj", b"BT", b"\x00", b"\xff\xfe"]


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """``data`` with a few bytes changed, inserted, deleted, repeated or cut off."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["change", "insert", "delete", "repeat", "cut"]))
        if kind == "change":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.one_of(st.binary(min_size=1, max_size=32), st.sampled_from(TOKENS)))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "repeat":
            end = at + draw(st.integers(1, 512))
            data[end:end] = data[at:end] * draw(st.integers(1, 8))
        else:
            del data[at:]
    return bytes(data)


@st.composite
def mutated_inside(draw, document: bytes) -> bytes:
    """A Word document still a valid ZIP, with its document part mutated: the XML parser's turn."""
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["word/document.xml"] = draw(mutated(parts["word/document.xml"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


PDF = make_pdf([["Example Trust response", "", "We recommend that inspectors meet service users."],
                (["1. Inspectors should publish.", "a) Soon."], ["We urge care."])])
HTML = (b"<!DOCTYPE html><html><head><title>R</title><style>p{}</style></head><body><h1>Response</h1>"
        b"<ol><li>We recommend that <b>inspectors</b> meet users.<ol><li>Soon.</li></ol></li></ol>"
        b"<table><tr><td>4</td><td>Yes &amp; no</td></tr></table><p>Inspectors should publish.</p></body></html>")
EML = make_eml(html="<p>We recommend that inspectors meet users.</p>",
               attachments=[("response.docx", DOCX, DOCX_TYPE), ("logo.png", PNG, "image/png"),
                            ("notes.txt", b"We urge care.\n", "text/plain")])
TEXT = "Summary of recommendations\n\n1. We recommend that inspectors meet users.\n   a) Soon.\n".encode()
VALID = {"response.docx": DOCX, "response.pdf": PDF, "response.html": HTML, "response.eml": EML,
         "response.txt": TEXT}


@pytest.mark.parametrize("name", VALID)
@FAST
@given(data=st.data())
def test_mutated_documents_are_read_or_refused_in_time(name, data):
    read_or_refuse(name, data.draw(mutated(VALID[name])))


@FAST
@given(document=mutated_inside(DOCX))
def test_word_documents_with_mutated_xml_are_read_or_refused_in_time(document):
    read_or_refuse("response.docx", document)


@FAST
@given(data=st.one_of(st.binary(max_size=4096), st.text(max_size=2048).map(lambda text: text.encode("utf-8", "surrogatepass"))))
def test_random_bytes_are_read_or_refused_in_time(data):
    read_or_refuse("random.txt", data)


PIECES = ["\n", "\n\n", "- ", "• ", "1. ", "12) ", "a) ", "(iv) ", "# ", "## ", "Summary of recommendations",
          "Recommendations", "About us", "Endnotes", "Question 4: Do you agree?", "We recommend that ",
          "We would also urge ", "it is recommended that ", "should ", "must not ", "This should include ",
          "To do so we recommend the following:", "The review found that ", "e.g. ", "i.e. ", "No. ", "etc. ",
          "**", "__", "“", "”", "‘", "’", "–", "(", ")", ". ", "? ", "! ", "standard 1.2", "standards 1.1, 1.3 and 2",
          "domain three", "4.1.3", "page 4", "12 April 2019", "www.example.org", "Page 3 of 9", "\u00a0", "\u200b",
          "\f", "\r\n", "\t"]


@FAST
@given(pieces=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=200))
def test_the_extractor_never_fails_and_anchors_every_recommendation(pieces):
    raw = "".join(pieces)
    start = cpu_time()
    text = clean_text(raw)
    found = extract_recommendations(text, self_names=["Example Trust"])
    assert cpu_time() - start < bound(len(raw.encode("utf-8", "surrogatepass")))
    keys = {rec.key for rec in found}
    for rec in found:
        assert rec.spans and all(0 <= start < end <= len(text) for start, end in rec.spans)
        assert any(text[start:end].strip() == rec.text for start, end in rec.spans), "its wording is in the text"
        assert rec.parent is None or rec.parent in keys


@FAST
@given(line=st.text(alphabet="*_ ab\t", max_size=40))
def test_emphasis_is_removed_in_one_pass_exactly_as_the_regex_removes_it(line):
    assert _strip_emphasis(line) == _EMPHASIS.sub(r"\2", line)


def test_the_pieces_make_real_recommendations():
    """The fuzzing above would prove little if its pieces never made a recommendation."""
    text = clean_text("".join(["Summary of recommendations", "\n\n", "1. ", "We recommend that ", "inspectors meet",
                               ". ", "\n", "a) ", "Soon", "."]))
    assert [rec.key for rec in extract_recommendations(text)] == ["R1", "R1.1"]
    assert re.search(r"inspectors meet", extract_recommendations(text)[0].text)
