"""Reading written responses in each format, and the staff upload page.

The Clinks response is written out as text, Word, PDF, HTML and an email with the Word file
attached (all generated here), and each is read repeatedly: the figure is the reader alone
(``read_document``), and the count of recommendations found after cleaning shows the formats
agree. A long response (the Clinks text 20 times, about 120 PDF pages) shows how reading
scales, with the peak Python heap (tracemalloc: pypdf is pure Python, but
the memory lxml uses for Word files is not counted). Then a decompression bomb's refusal time (it must not be expanded)
and a 20-file upload through the web form into SQLite, from request to result page.
"""
from __future__ import annotations

import io
import statistics
import tempfile
import textwrap
import time
import tracemalloc
import zipfile
from email.message import EmailMessage
from html import escape
from pathlib import Path

import docx

from consultations.cleaning import clean_text
from consultations.extract import extract_recommendations
from consultations.readers import DOCX_TYPE, ReadError, read_document

from .extraction import CLINKS, DEMO, percentile

RUNS = 20
LONG_COPIES = 20
UPLOAD_FILES = 20


def blocks(text: str) -> list[str]:
    return [block for block in clean_text(text).split("\n\n") if block.strip()]


def as_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_pdf(paragraphs: list[str], lines_per_page: int = 50) -> bytes:
    """A plain PDF, Helvetica in WinAnsi encoding, 90 characters a line (hand-written as in the tests)."""
    lines = [line for paragraph in paragraphs for line in [*textwrap.wrap(paragraph, 90), ""]]
    pages = [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    objects: list[bytes | None] = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
                                   b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for page in pages:
        ops = ["BT", "/F1 10 Tf", "14 TL", "60 760 Td"]
        for line in page:
            ops.append("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*")
        stream = "\n".join([*ops, "ET"]).encode("cp1252", "replace")  # WinAnsi: curly quotes and dashes too
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def as_html(paragraphs: list[str]) -> bytes:
    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return f"<!DOCTYPE html><html><head><title>Response</title></head><body>{body}</body></html>".encode()


def as_eml(attachment: bytes, note: str = "") -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = "Jo Bloggs <jo@example.org>", "consultation@inspectorate.example"
    message["Subject"], message["Date"] = "Clinks response", "Fri, 12 Apr 2019 10:30:00 +0100"
    message.set_content(f"Please find our response attached.{note}")
    message.add_attachment(attachment, maintype="application", subtype=DOCX_TYPE.split("/")[1],
                           filename="clinks-response.docx")
    return message.as_bytes()


def timed(name: str, data: bytes) -> tuple[list[float], int]:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = read_document(name, data)
        timings.append(time.perf_counter() - start)
    return timings, len(extract_recommendations(clean_text(result.text), self_names=["Clinks"]))


def report(label: str, size: int, timings: list[float], found: int | None = None) -> None:
    ms = [t * 1000 for t in timings]
    extra = f"   {found} recs" if found is not None else ""
    print(f"{label:<34} {size / 1024:8,.0f} KB   p50 {statistics.median(ms):7.2f} ms"
          f"   p95 {percentile(ms, 0.95):7.2f} ms{extra}")


def bench_formats() -> None:
    raw = CLINKS.read_text(encoding="utf-8")
    paragraphs = blocks(raw)
    word = as_docx(paragraphs)
    files = {
        "clinks.txt": raw.encode(),
        "clinks.docx": word,
        "clinks.pdf": as_pdf(paragraphs),
        "clinks.html": as_html(paragraphs),
        "clinks.eml (docx attached)": as_eml(word),
    }
    for name, data in files.items():
        timings, found = timed(name.split()[0], data)
        report(f"read {name}", len(data), timings, found)


def bench_long() -> None:
    paragraphs = blocks(CLINKS.read_text(encoding="utf-8")) * LONG_COPIES
    for name, data in {"long.docx": as_docx(paragraphs), "long.pdf": as_pdf(paragraphs)}.items():
        tracemalloc.start()
        start = time.perf_counter()
        result = read_document(name, data)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        pages = f", {data.count(b'/Type /Page ')} pages" if name.endswith(".pdf") else ""
        print(f"read {name:<29} {len(data) / 1024:8,.0f} KB   {seconds * 1000:7.0f} ms   "
              f"{len(result.text):,} chars{pages}, peak Python heap {peak / 1024 / 1024:,.0f} MB")


def bench_bomb() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"\0" * (200 * 1024 * 1024))
    data = out.getvalue()
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        try:
            read_document("bomb.docx", data)
        except ReadError:
            pass
        timings.append(time.perf_counter() - start)
    report("refuse a 200 MB zip bomb", len(data), timings)


def bench_upload() -> None:
    from consultations.consultation_import import load_consultation_file, upsert_consultation
    from tracker import create_app
    from tracker.auth import create_user
    from tracker.db import db

    paragraphs = blocks(CLINKS.read_text(encoding="utf-8"))
    files = []
    for n in range(UPLOAD_FILES):  # distinct files, so none is "already ingested"
        varied = [*paragraphs, f"Reference {n}."]
        kind = n % 3
        data = as_docx(varied) if kind == 0 else as_pdf(varied) if kind == 1 else as_eml(as_docx(varied), str(n))
        files.append((data, f"response-{n}.{('docx', 'pdf', 'eml')[kind]}"))
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                          "SECRET_KEY": "bench", "SEARCH_INDEX_DIR": f"{folder}/index", "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            db.create_all()
            consultation = load_consultation_file(DEMO / "consultation-probation-inspection-2019.yaml")
            upsert_consultation(db.session, consultation)
            create_user(db.session, "policy@example.org", "policy", "a long bench password")
            db.session.commit()
            slug = consultation["slug"]
        client = app.test_client()
        client.post("/sign-in", data={"email": "policy@example.org", "password": "a long bench password"})
        form = {"consultation": slug, "respondent": "Clinks", "consent": "named",
                "files": [(io.BytesIO(data), name) for data, name in files]}
        start = time.perf_counter()
        response = client.post("/staff/responses/upload", data=form, content_type="multipart/form-data")
        seconds = time.perf_counter() - start
        assert response.status_code == 200 and f"{UPLOAD_FILES} ingested" in response.get_data(as_text=True)
        size = sum(len(data) for data, _ in files)
        print(f"upload {UPLOAD_FILES} files (docx, pdf, eml) {size / 1024:7,.0f} KB   {seconds:7.2f} s in all, "
              f"{seconds / UPLOAD_FILES * 1000:,.0f} ms a file (read, extract, store, audit, index, commit)")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    print("Reading each format (the Clinks response) and the staff upload")
    bench_formats()
    bench_long()
    bench_bomb()
    bench_upload()


if __name__ == "__main__":
    main()
