"""Reading written responses in every accepted format, sniffing the type from the content,
and refusing what cannot be read with a message that says why. Every file is generated here."""
from __future__ import annotations

import datetime as dt
import io
import random
import time
import zipfile
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import docx
import openpyxl
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
import pytest
from conftest import DEMO_DATA, cpu_time
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select
from test_ingest import SLUG, row_counts

from consultations.cleaning import clean_text
from consultations.consultation_import import load_consultation_file, upsert_consultation
from consultations.extract import extract_recommendations
from consultations.ingest import IngestError, ingest_document
from consultations.models import Document, Response
from consultations.readers import (
    DOCX_TYPE,
    DocumentLimits,
    ReadError,
    TooLarge,
    ensure_safe_zip,
    looks_like_markdown,
    read_document,
    xml_bytes,
)
from documents import padded_docx, pdf_string, pdf_with_pages

# --- fixture builders (also used by tests/tracker/staff/test_upload.py) ----------------------------------


def make_docx(*, heading="Summary of recommendations", items=("The inspectorate should publish its schedule.",
                                                             "Inspectors should meet service users."),
              title="Example Trust response to the consultation", extra=None) -> bytes:
    """A Word document with a title, a heading, a numbered list, a bullet, a paragraph and a table."""
    document = docx.Document()
    document.add_heading(title, 0)
    document.add_paragraph("About us: we are a charity working with people on probation.")
    document.add_paragraph("A point made in passing", style="List Bullet")
    document.add_heading(heading, 1)
    for item in items:
        document.add_paragraph(item, style="List Number")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Question", (0, 1): "Our answer", (1, 0): "4", (1, 1): "Yes, with care."}.items():
        table.cell(row, col).text = text
    if extra:
        document.add_paragraph(extra)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(pages: list) -> bytes:
    """A minimal valid PDF, written by hand: one page per list of lines (Helvetica; an empty line
    leaves a gap), or per tuple of such lists set as side-by-side columns. A page with no lines
    has no text at all, like a scanned image."""
    streams = []
    for page in pages:
        ops = []
        for column, lines in enumerate(page if isinstance(page, tuple) else (page,)):
            ops += ["BT", "/F1 12 Tf", "14 TL", f"{72 + 250 * column} 720 Td"]
            ops += [f"({pdf_string(line)}) Tj T*" for line in lines]
            ops.append("ET")
        streams.append("\n".join(ops).encode("latin-1") if any(page) else b"")
    return pdf_with_pages(streams)


def drawing_pdf(pages: int, lines: int) -> bytes:
    """A small PDF that is slow to read: one sentence a page, and the same line drawn ``lines``
    times (compressed to a few kilobytes; pypdf reads about 100,000 drawing operations a second)."""
    stream = b"BT /F1 12 Tf 72 720 Td (We recommend that inspectors draw less.) Tj ET\n" + b"0 0 m 1 1 l S\n" * lines
    return pdf_with_pages([stream] * pages, compress=True)


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["We recommend a protected thing."]]))))
    writer.encrypt(user_password, "owner secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_eml(body: str | None = "Dear team,\n\nPlease find our response attached.\n", *, html: str | None = None,
             attachments=(), subject="Response from the Example Trust",
             date="Fri, 12 Apr 2019 10:30:00 +0100") -> bytes:
    """An email with a text (and/or HTML) body and attachments given as (filename, bytes, mime type)."""
    message = EmailMessage()
    message["From"] = "Jo Bloggs <jo@example.org>"
    message["To"] = "consultation@inspectorate.example"
    message["Subject"] = subject
    message["Date"] = date
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def zip_bomb() -> bytes:
    """A docx-like ZIP whose document part expands from about 50 KB to 50 MB."""
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (50 * 1024 * 1024)})


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
DOCX = make_docx()


# --- Word -----------------------------------------------------------------------------------


def test_a_word_document_keeps_headings_lists_and_tables_in_order():
    result = read_document("response.docx", DOCX)
    assert result.media_type == DOCX_TYPE and result.warnings == ()
    assert result.text.split("\n\n") == [
        "# Example Trust response to the consultation",
        "About us: we are a charity working with people on probation.",
        "- A point made in passing",
        "# Summary of recommendations",
        "1. The inspectorate should publish its schedule.",
        "2. Inspectors should meet service users.",
        "Question | Our answer",
        "4 | Yes, with care.\n",
    ]


def test_recommendations_are_found_in_a_word_document():
    text = clean_text(read_document("response.docx", DOCX).text)
    found = extract_recommendations(text)
    assert [r.text for r in found] == ["The inspectorate should publish its schedule.",
                                       "Inspectors should meet service users."]


def test_word_numbering_is_written_out_so_lettered_items_become_sub_points():
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    document.add_heading("Summary of recommendations", 1)
    for text, level in [("Inspections should be announced.", 0), ("By letter.", 1), ("By email.", 1),
                        ("Reports should be shorter.", 0), ("Under twenty pages.", 1)]:
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    out = io.BytesIO()
    document.save(out)

    text = read_document("numbered.docx", out.getvalue()).text
    assert text.split("\n\n")[1:] == ["1. Inspections should be announced.", "    a) By letter.", "    b) By email.",
                                       "2. Reports should be shorter.", "    a) Under twenty pages.\n"]
    found = extract_recommendations(clean_text(text))
    assert [(r.key, r.parent) for r in found] == [("R1", None), ("R1.1", "R1"), ("R1.2", "R1"),
                                                  ("R2", None), ("R2.1", "R2")]


def test_a_damaged_word_document_is_refused():
    damaged = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<not xml"})
    with pytest.raises(ReadError, match="looks like a Word document but could not be opened"):
        read_document("response.docx", damaged)


# --- PDF ------------------------------------------------------------------------------------


def test_a_text_pdf_is_read_page_by_page():
    pdf = make_pdf([["Example Trust response", "We recommend that inspectors (always) meet users."],
                    ["Second page text."]])
    result = read_document("response.pdf", pdf)
    assert result.media_type == "application/pdf" and result.warnings == ()
    assert "We recommend that inspectors (always) meet users." in result.text
    assert result.text.index("Example Trust") < result.text.index("Second page text.")


def test_a_gap_between_paragraphs_keeps_them_apart():
    pdf = make_pdf([["Our view", "", "Inspections work well and", "should continue.", "",
                     "We recommend that reports", "are shorter."]])
    assert clean_text(read_document("response.pdf", pdf).text).split("\n\n") == [
        "Our view", "Inspections work well and should continue.", "We recommend that reports are shorter.\n"]


def test_a_page_set_in_two_columns_is_read_column_by_column():
    left = ["Left column line one", "left column line two", "left column line three"]
    right = ["Right column line one", "right column line two", "right column line three"]
    text = read_document("columns.pdf", make_pdf([(left, right)])).text
    assert [line.strip() for line in text.splitlines() if line.strip()] == left + right


def test_pages_without_text_are_reported_but_the_rest_is_read():
    result = read_document("response.pdf", make_pdf([["First page."], [], ["Third page."]]))
    assert "First page." in result.text and "Third page." in result.text
    assert result.warnings == ("response.pdf: page 2 of 3 has no text (scanned images?), so its content is "
                               "missing. Run OCR on the PDF, or check the original, if those pages matter.",)


def test_a_scanned_pdf_without_a_text_layer_is_refused():
    with pytest.raises(ReadError) as refused:
        read_document("scan.pdf", make_pdf([[], []]))
    assert str(refused.value) == ("scan.pdf is a PDF without any text: it looks like a scanned image with no text "
                                  "layer; run OCR (text recognition) on it or send the original document.")


def test_a_password_protected_pdf_is_refused_but_a_restrictions_only_one_is_read():
    with pytest.raises(ReadError, match="is a password-protected \\(encrypted\\) PDF"):
        read_document("locked.pdf", encrypted_pdf("open sesame"))
    assert "We recommend a protected thing." in read_document("restricted.pdf", encrypted_pdf("")).text


@pytest.mark.parametrize("data", [b"%PDF-1.7\n%garbage\n", make_pdf([["Cut short"]])[:200]])
def test_a_damaged_pdf_is_refused(data):
    with pytest.raises(ReadError, match="looks like a PDF but could not be read"):
        read_document("broken.pdf", data)


# --- HTML -----------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html><head><title>Ignored title</title><style>p { color: red }</style>
<script>document.write("<p>not text</p>")</script></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<h1>Example Trust response</h1>
<p>We recommend   that inspectors
meet service users &amp; their families.<br>A second line.</p>
<h2>Summary of recommendations</h2>
<ol><li>Publish the schedule.</li><li>Meet users:<ol><li>in prison;</li><li><p>in the community.</p></li></ol></li></ol>
<ul><li>A bullet</li></ul>
<table><tr><th>Question</th><th>Answer</th></tr><tr><td><p>4</p></td><td><p>Yes,</p><p>with care</p></td></tr></table>
</body></html>"""


def test_a_web_page_keeps_structure_and_drops_scripts_styles_and_navigation():
    result = read_document("response.html", PAGE)
    assert result.media_type == "text/html"
    assert result.text.split("\n\n") == [
        "# Example Trust response",
        "We recommend that inspectors meet service users & their families.\nA second line.",
        "## Summary of recommendations",
        "1. Publish the schedule.",
        "2. Meet users:",
        "    a) in prison;",
        "    b) in the community.",
        "- A bullet",
        "Question | Answer",
        "4 | Yes, with care\n",
    ]


def test_a_web_page_marks_its_quotations():
    page = (b"<html><body><p>The draft says:</p><blockquote><p>Providers must retain records.</p>"
            b"<p>They must publish them.</p></blockquote><p>We disagree with <q>ten years</q>.</p></body></html>")
    assert read_document("page.html", page).text.split("\n\n") == [
        "The draft says:", "> Providers must retain records.", "> They must publish them.",
        "We disagree with \u201cten years\u201d.\n",
    ]


# --- Markdown -------------------------------------------------------------------------------

MARKDOWN = """# Response from the Brook Street Residents

## Repairs
The landlord **must** fix damp within [14 days](https://example.org/rules).

1. Rent should be frozen:
   - while repairs are outstanding;
   - until the inspection.

   a. Tenants should be told.

> The landlord's policy says repairs take 28 days.
"""
MARKDOWN_BLOCKS = [
    "# Response from the Brook Street Residents", "## Repairs", "The landlord must fix damp within 14 days.",
    "1. Rent should be frozen:", "   - while repairs are outstanding;", "   - until the inspection.",
    "   a. Tenants should be told.", "> The landlord's policy says repairs take 28 days.\n",
]


@pytest.mark.parametrize("name", ["response.md", "response.txt"])
def test_markdown_is_read_by_its_structure_whatever_the_file_is_called(name):
    """A CommonMark parser reads it: headings, nested lists, quotations; links and emphasis
    become their words. Plain text counts as Markdown when it has Markdown headings or links."""
    result = read_document(name, MARKDOWN.encode())
    assert result.text.split("\n\n") == MARKDOWN_BLOCKS
    assert result.media_type == ("text/markdown" if name.endswith(".md") else "text/plain")


def test_markdown_is_read_in_the_child_process_when_reading_time_is_limited():
    result = read_document("response.md", MARKDOWN.encode(), limits=DocumentLimits(max_seconds=30))
    assert result.text.split("\n\n") == MARKDOWN_BLOCKS


def test_plain_text_without_markdown_is_left_as_it_is():
    text = "Our view\n\n1. Rent should be frozen.\n   a) Tenants should be told.\n\n# is not a heading here"
    assert not looks_like_markdown(text.replace("# is", "#is"))
    assert read_document("response.txt", text.replace("# is", "#is").encode()).text == text.replace("# is", "#is")


def test_a_web_page_in_windows_1252_is_decoded_from_its_declared_charset():
    page = '<html><head><meta charset="windows-1252"></head><body><p>Caf\u00e9 \u2013 we recommend it</p></body></html>'
    assert read_document("page.htm", page.encode("cp1252")).text == "Caf\u00e9 \u2013 we recommend it\n"


# --- email ----------------------------------------------------------------------------------


def test_an_email_is_its_body_then_each_attachment_under_its_own_heading():
    eml = make_eml(attachments=[("response.docx", DOCX, DOCX_TYPE),
                                ("notes.txt", "We recommend more visits.".encode(), "text/plain")])
    result = read_document("response.eml", eml)
    assert result.media_type == "message/rfc822" and result.warnings == ()
    assert result.sent_on == dt.date(2019, 4, 12)
    sections = result.text.split("\n\n")
    assert sections[:3] == ["# Response from the Example Trust", "Dear team,", "Please find our response attached."]
    assert "# Attachment: response.docx" in sections and "# Attachment: notes.txt" in sections
    assert sections.index("# Attachment: response.docx") < sections.index("1. The inspectorate should publish its schedule.")
    assert sections[-1] == "We recommend more visits.\n"
    assert "jo@example.org" not in result.text, "contact details stay out of the response text"


def test_an_html_only_email_is_converted_and_a_scanned_attachment_is_a_warning_not_a_failure():
    eml = make_eml(None, html="<p>We <b>recommend</b> that inspectors meet users.</p>",
                   attachments=[("scan.png", PNG, "image/png")])
    result = read_document("response.eml", eml)
    assert "We recommend that inspectors meet users." in result.text
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("Attachment scan.png was not read: scan.png is a PNG image. If it is a scan")


def test_an_email_with_nothing_readable_is_refused():
    eml = make_eml("", attachments=[("scan.png", PNG, "image/png")])
    with pytest.raises(ReadError, match="is an email with no readable text.*Attachment scan.png was not read"):
        read_document("empty.eml", eml)


def test_an_email_forwarded_as_an_attachment_is_read_too():
    inner = make_eml("We recommend that the inspectorate visits every region.", subject="Original response")
    inline = EmailMessage()
    inline["From"], inline["Subject"], inline["Date"] = "a@example.org", "Fwd", "Mon, 15 Apr 2019 09:00:00 +0100"
    inline.set_content("Forwarding the response below.")
    inline.add_attachment(message_from_bytes(inner, policy=default))
    base64_encoded = make_eml("Forwarding the response below.",  # as some mail programs send it
                              attachments=[("original.eml", inner, "message/rfc822")])
    for outer in (inline.as_bytes(), base64_encoded):
        result = read_document("forwarded.eml", outer)
        assert "Forwarding the response below." in result.text
        assert "# Original response\n\nWe recommend that the inspectorate visits every region." in result.text


# --- sniffing: the content decides, never the extension -------------------------------------


@pytest.mark.parametrize("name, data, media_type", [
    ("response.txt", make_pdf([["Really a PDF."]]), "application/pdf"),
    ("response.pdf", DOCX, DOCX_TYPE),
    ("response.docx", b"Really plain text: we recommend things.", "text/plain"),
    ("response.txt", PAGE, "text/html"),
    ("response.txt", make_eml("An email after all."), "message/rfc822"),
    ("response", "Caf\u00e9 au lait".encode("utf-16"), "text/plain"),
    ("response.md", b"# Heading\n\nWe recommend Markdown.", "text/markdown"),
    ("letter.txt", b"From: Example Trust\n\nDear inspectorate, we recommend care.", "text/plain"),
])
def test_the_type_comes_from_the_content(name, data, media_type):
    assert read_document(name, data).media_type == media_type


# --- refusals -------------------------------------------------------------------------------


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "A survey export"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "empty.txt is empty: there is no text to read."),
    ("blank.docx", b"  \n\t\n", "blank.docx is empty"),
    ("photo.txt", PNG, "photo.txt is a PNG image. If it is a scan of a letter, run OCR"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo.jpg is a JPEG image"),
    ("setup.docx", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60, "setup.docx is a Windows program"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.doc is an old-style Microsoft Office file"),
    ("letter.rtf", b"{\\rtf1\\ansi We recommend}", "letter.rtf is a Rich Text Format"),
    ("bundle.zip", zip_bytes({"a.txt": b"hello"}), "bundle.zip is a ZIP archive. Unzip it"),
    ("survey.xlsx", xlsx_bytes(), "survey.xlsx is an Excel workbook"),
    ("slides.pptx", zip_bytes({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}),
     "slides.pptx is a PowerPoint presentation"),
    ("cut.docx", DOCX[:500], "cut.docx is a damaged ZIP-based file"),
    ("mystery.bin", b"\x01\x02\x00\x03binary", "mystery.bin is a binary file of a type that is not recognised"),
    ("latin.txt", "Caf\u00e9".encode("cp1252"), "latin.txt is not UTF-8 text"),
    ("half.txt", b"\xff\xfeW\x00e\x00\x00\xd8", "half.txt starts as UTF-16 text but bytes 6 to 8 cannot be decoded"),
])
def test_what_cannot_be_read_is_refused_saying_what_it_is(name, data, message):
    with pytest.raises(ReadError) as refused:
        read_document(name, data)
    assert str(refused.value).startswith(message)


def test_refusals_of_other_formats_list_the_accepted_ones():
    with pytest.raises(ReadError, match=r"Accepted formats: Word \(\.docx\), PDF with a text layer"):
        read_document("photo.png", PNG)


def test_a_zip_bomb_is_refused_before_it_is_expanded():
    with pytest.raises(ReadError) as refused:
        read_document("response.docx", zip_bomb())
    assert str(refused.value).startswith("response.docx was refused as a possible decompression bomb: "
                                         "its part word/document.xml expands from 0.0 MB to 50.0 MB")


def test_zip_limits_on_total_size_and_number_of_parts(monkeypatch):
    from consultations.readers import sniffing as readers  # where the ZIP limits are read

    ensure_safe_zip("response.docx", DOCX)  # a real document passes
    monkeypatch.setattr(readers, "MAX_ZIP_UNCOMPRESSED", 10_000)
    with pytest.raises(ReadError, match=r"it would expand to 0\.\d MB \(at most 0\.0 MB is accepted\)"):
        ensure_safe_zip("response.docx", DOCX)
    monkeypatch.setattr(readers, "MAX_ZIP_MEMBERS", 5)
    with pytest.raises(ReadError, match="it holds 1[0-9] parts \\(at most 5 are accepted\\)"):
        read_document("response.docx", DOCX)


# --- limits on what a file may expand to ----------------------------------------------------

SMALL = DocumentLimits(max_characters=2_000, max_pages=3, max_xml_bytes=2_000_000)
LONG_TEXT = "We recommend that inspectors read every page of every response. " * 40  # 2,600 characters


@pytest.mark.parametrize("name, data", [
    ("long.txt", LONG_TEXT.encode()),
    ("long.html", f"<html><body><p>{LONG_TEXT}</p></body></html>".encode()),
    ("long.docx", make_docx(extra=LONG_TEXT)),
    ("long.pdf", make_pdf([[LONG_TEXT[i:i + 90] for i in range(0, len(LONG_TEXT), 90)]])),
    ("long.eml", make_eml(LONG_TEXT[:1500], attachments=[("more.txt", LONG_TEXT[:1500].encode(), "text/plain")])),
])
def test_text_beyond_the_character_limit_is_refused_in_every_format(name, data):
    """The email's body and its attachment are each under the limit; together they are over it."""
    with pytest.raises(TooLarge) as refused:
        read_document(name, data, limits=SMALL)
    assert str(refused.value).startswith(f"{name} is too long to read: its text runs to more than 2,000 characters")
    assert "Split it into smaller files" in str(refused.value)
    assert read_document(name, data).text, "within the default limits it is read"


def test_a_pdf_with_more_pages_than_allowed_is_refused_before_its_pages_are_read():
    with pytest.raises(TooLarge, match="four.pdf has 4 pages, more than the 3 a PDF may have. Split it"):
        read_document("four.pdf", make_pdf([["We recommend a page."]] * 4), limits=SMALL)


def test_sixty_thousand_pages_in_a_few_megabytes_are_refused_at_once():
    """The attack: 60,000 near-empty pages sharing one content stream read for more than 30 s."""
    data = pdf_with_pages([b"BT /F1 1 Tf (x) Tj ET"] * 60_000)
    start = cpu_time()
    with pytest.raises(TooLarge, match="pages.pdf has 60,000 pages, more than the 1,000 a PDF may have"):
        read_document("pages.pdf", data)
    assert cpu_time() - start < 5


def test_a_word_document_expanding_to_more_xml_than_allowed_is_refused_before_it_is_parsed():
    """The attack: a 6.9 MB .docx expanding to 240 MB of XML passed the bomb checks (its parts
    compress less than 200 to 1) and took a worker to 2 GB. Here, 11 MB of XML that does not
    compress at all (stored), over the default 10 MB."""
    stored = padded_docx(make_docx(), 11 * 1024 * 1024, zipfile.ZIP_STORED)
    ensure_safe_zip("large.docx", stored)  # no decompression bomb
    start = cpu_time()
    with pytest.raises(TooLarge) as refused:
        read_document("large.docx", stored)
    assert cpu_time() - start < 1
    assert str(refused.value) == (
        "large.docx is a Word document too large to read: it expands to 11.0 MB of text and formatting (XML), "
        "more than the 10.0 MB a document may have. Save it as PDF, or split it into smaller documents, then try again.")


def test_pictures_in_a_word_document_do_not_count_as_xml_but_xml_named_as_a_picture_does():
    picture = random.Random(0).randbytes(2_000_000)  # does not compress, as a photograph
    with_picture = zip_bytes({**docx_members(DOCX), "word/media/image1.png": picture})
    assert xml_bytes(with_picture) == xml_bytes(DOCX)
    disguised = zip_bytes({**docx_members(DOCX), "word/media/image1.png": b"<w:p/>" * 400_000})
    assert xml_bytes(disguised) == xml_bytes(DOCX) + 2_400_000
    with pytest.raises(TooLarge, match="more than the 1.9 MB a document may have"):
        read_document("disguised.docx", disguised, limits=SMALL)


def test_a_file_that_is_slow_to_read_is_stopped_after_the_time_allowed():
    """Eight pages drawing a line 100,000 times each: a few kilobytes that pypdf reads for 15 s.
    No size limit catches it, so it is read in a child process that is stopped."""
    # The clock, not CPU time: what is tested is that a reader is stopped when its time is up.
    start = time.perf_counter()
    with pytest.raises(TooLarge) as refused:
        read_document("drawing.pdf", drawing_pdf(pages=8, lines=100_000),
                      limits=DocumentLimits(max_seconds=1))
    assert time.perf_counter() - start < 4
    assert str(refused.value).startswith("drawing.pdf took more than 1 second to read, so reading it was stopped.")


@pytest.mark.parametrize("name, data", [
    ("response.docx", DOCX),
    ("annex.pdf", make_pdf([["We recommend that inspectors meet users."], []])),
    ("response.eml", make_eml(attachments=[("response.docx", DOCX, DOCX_TYPE), ("logo.png", PNG, "image/png")])),
    ("scan.pdf", make_pdf([[]])),
])
def test_a_file_read_in_a_child_process_reads_as_it_does_here(name, data):
    def outcome(limits):
        try:
            return read_document(name, data, limits=limits)
        except ReadError as error:
            return type(error), str(error)

    assert outcome(DocumentLimits(max_seconds=20)) == outcome(DocumentLimits())


@pytest.mark.parametrize("name, data, message", [
    ("stray.html", b"<html><body><p>We recommend x.</p><![ x", "stray.html looks like a web page but could not be read"),
    ("nested.eml", b"From: a@example.org\r\nTo: b@example.org\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
                   + b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (n, n + 1)
                              for n in range(3_000)),
     "nested.eml looks like an email but could not be read: it may be damaged"),
])
def test_markup_that_breaks_the_parsers_is_refused_not_a_crash(name, data, message):
    with pytest.raises(ReadError, match=message):
        read_document(name, data)


def test_a_page_opening_with_many_comments_is_recognised_at_once():
    start = cpu_time()
    assert read_document("notes.txt", b"<!---->" * 580 + b"We recommend that x.").media_type == "text/plain"
    assert cpu_time() - start < 1, "the old pattern tried 2**580 ways of splitting the comments"


# --- ingesting each format ------------------------------------------------------------------


@pytest.fixture
def consultation(session):
    consultation, _ = upsert_consultation(
        session, load_consultation_file(DEMO_DATA / "consultation-probation-inspection-2019.yaml"))
    session.commit()
    return consultation


def ingest(session, filename, data, **overrides):
    arguments = dict(consultation_slug=SLUG, filename=filename, data=data, respondent_name="Example Trust")
    return ingest_document(session, **{**arguments, **overrides})


def test_ingesting_stores_the_sniffed_type_and_a_name_with_the_right_extension(session, consultation):
    result = ingest(session, "response.txt", make_pdf([["We recommend that inspectors meet users."]]))
    session.commit()
    document = session.get(Document, result.response.document_id)
    assert (document.media_type, document.filename) == ("application/pdf", "response.txt.pdf")
    assert result.recommendations == 1

    docx_result = ingest(session, "response.docx", DOCX)
    assert session.get(Document, docx_result.response.document_id).media_type == DOCX_TYPE
    assert docx_result.recommendations == 2


def test_an_emailed_response_is_one_response_with_its_attachments_and_the_original_email_kept(session, consultation):
    eml = make_eml(attachments=[("response.docx", DOCX, DOCX_TYPE), ("logo.png", PNG, "image/png")])
    result = ingest(session, "response.eml", eml)
    session.commit()
    response = session.get(Response, result.response.id)
    assert response.document.content == eml and response.document.media_type == "message/rfc822"
    assert response.received_on == dt.date(2019, 4, 12), "the email's date when none is given"
    assert "Attachment: response.docx" in response.text
    assert [r.text for r in response.recommendations] == ["The inspectorate should publish its schedule.",
                                                          "Inspectors should meet service users."]
    assert any(warning.startswith("Attachment logo.png was not read") for warning in result.warnings)
    assert session.scalars(select(Document.filename)).all() == ["response.eml"], "one original: the email"

    given = ingest(session, "again.eml", make_eml("We recommend a second thing.", subject="Another"),
                   received_on=dt.date(2019, 4, 15))
    assert given.response.received_on == dt.date(2019, 4, 15), "a given date wins over the email's"


@pytest.mark.parametrize("name, data, message", [
    ("scan.pdf", make_pdf([[]]), "it looks like a scanned image with no text layer"),
    ("response.docx", zip_bomb(), "possible decompression bomb"),
    ("photo.docx", PNG, "is a PNG image"),
])
def test_a_refused_file_leaves_the_database_as_it_was(session, consultation, name, data, message):
    before = row_counts(session)
    with pytest.raises(IngestError, match=message):
        ingest(session, name, data)
    session.rollback()
    assert row_counts(session) == before


def test_the_cli_ingests_and_extracts_any_format(runner, tmp_path, consultation):
    path = tmp_path / "response.docx"
    path.write_bytes(DOCX)
    result = runner.invoke(args=["ingest", str(path), "--consultation", SLUG, "--respondent", "Example Trust"])
    assert result.exit_code == 0, result.output
    assert "Ingested response.docx as response #1 from Example Trust: 2 recommendations" in result.output
    again = runner.invoke(args=["ingest", str(path), "--consultation", SLUG, "--respondent", "Example Trust"])
    assert "was already ingested" in again.output

    pdf = tmp_path / "partly-scanned.pdf"
    pdf.write_bytes(make_pdf([["We recommend that inspectors meet users."], []]))
    extracted = runner.invoke(args=["extract", str(pdf)])
    assert extracted.exit_code == 0
    assert "1 recommendation found in partly-scanned.pdf." in extracted.output
    assert "Warning: partly-scanned.pdf: page 2 of 2 has no text" in extracted.stderr

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_pdf([[]]))
    refused = runner.invoke(args=["ingest", str(scan), "--consultation", SLUG, "--respondent", "Example Trust"])
    assert refused.exit_code == 1 and "scan.pdf was not ingested; nothing was changed." in refused.output


def test_the_cli_refuses_a_file_too_large_to_read_in_one_line_before_reading_it(runner, tmp_path, consultation):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # 50 MB, never read
    for command in (["extract", str(huge)], ["ingest", str(huge), "--consultation", SLUG, "--respondent", "X"]):
        start = cpu_time()
        result = runner.invoke(args=command)
        assert cpu_time() - start < 2
        assert result.exit_code == 1
        assert result.output == ("Error: huge.txt is 50 MB, larger than 20 MB, the most one response file may be "
                                 "(UPLOAD_MAX_FILE_BYTES). Split it into smaller files, or ask the respondent for a "
                                 "smaller version.\n")


def test_the_cli_uses_the_configured_limits(app, runner, tmp_path, consultation):
    app.config["DOCUMENT_MAX_CHARACTERS"] = 1_000
    long = tmp_path / "long.txt"
    long.write_text(LONG_TEXT)
    result = runner.invoke(args=["extract", str(long)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: long.txt is too long to read: its text runs to more than 1,000 characters")
    assert result.output.count("\n") == 1
    ingested = runner.invoke(args=["ingest", str(long), "--consultation", SLUG, "--respondent", "X"])
    assert ingested.exit_code == 1 and "long.txt was not ingested; nothing was changed." in ingested.output
