"""Reading written responses in each format, and the staff upload page.

The Clinks response is written out as text, Word, PDF, HTML and an email with the Word file
attached (all generated here), and each is read repeatedly: the figure is the reader alone
(``read_document``), and the count of recommendations found after cleaning shows the formats
agree. A long response (the Clinks text 20 times, about 120 PDF pages) shows how reading
scales, with the peak Python heap (tracemalloc: pypdf is pure Python, but
the memory lxml uses for Word files is not counted). Then a decompression bomb's refusal time (it must
not be expanded), the largest file of each format the default limits allow and the refusal of files
beyond them, and a 20-file upload through the web form into SQLite, from request to result page.
"""
from __future__ import annotations

import io
import statistics
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from consultations.cleaning import clean_text
from consultations.extract import extract_recommendations
from consultations.readers import DocumentLimits, ReadError, TooLarge, read_document
from tests.documents import (
    RESPONDENT,
    as_docx,
    as_eml,
    as_html,
    as_pdf,
    generated_response,
    padded_docx,
    pdf_with_pages,
)

from .extraction import CLINKS, DEMO, percentile

RUNS = 20
LONG_COPIES = 20
UPLOAD_FILES = 20


def blocks(text: str) -> list[str]:
    return [block for block in clean_text(text).split("\n\n") if block.strip()]


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
    from consultations.users import create_user
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


def bench_limits() -> None:
    """At the default limits: the largest file of each format allowed (1,000,000 characters of a
    generated response built to be slow, read in the child process as the web app does, then
    cleaned and extracted), and how quickly files beyond a limit are refused."""
    limits = DocumentLimits(max_seconds=10)
    text = generated_response(limits.max_characters - 5_000, summary=False)
    paragraphs = [block for block in text.split("\n\n") if block.strip()]
    half = len(paragraphs) // 2
    largest = {
        "largest.txt": text.encode(),
        "largest.html": as_html(paragraphs),
        "largest.docx": as_docx(paragraphs),
        "largest.pdf": as_pdf(paragraphs, pages=limits.max_pages),
        "largest.eml": as_eml(as_docx(paragraphs[:half]), note="\n\n" + "\n\n".join(paragraphs[half:])),
    }
    for name, data in largest.items():
        start = time.perf_counter()
        document = read_document(name, data, limits=limits)
        read = time.perf_counter() - start
        found = extract_recommendations(clean_text(document.text), self_names=[RESPONDENT])
        print(f"largest {name:<13} {len(data) / 1024:8,.0f} KB   read {read:5.2f} s, with extraction "
              f"{time.perf_counter() - start:5.2f} s   {len(document.text):,} chars, {len(found):,} recs")
    beyond = {
        "60,000-page PDF": ("pages.pdf", pdf_with_pages([b"BT /F1 1 Tf (x) Tj ET"] * 60_000)),
        "Word document, 11 MB of XML": ("large.docx", padded_docx(as_docx(["We recommend."]), 11 * 1024 * 1024,
                                                                  zipfile.ZIP_STORED)),
        "PDF slow to draw, stopped at 2 s": ("drawing.pdf", pdf_with_pages(
            [b"BT /F1 12 Tf (We recommend.) Tj ET\n" + b"0 0 m 1 1 l S\n" * 100_000] * 20, compress=True)),
    }
    for label, (name, data) in beyond.items():
        start = time.perf_counter()
        try:
            read_document(name, data, limits=DocumentLimits(max_seconds=2))
        except TooLarge:
            pass
        print(f"refuse {label:<32} {len(data) / 1024:8,.0f} KB   {time.perf_counter() - start:5.2f} s")


def main() -> None:
    print("Reading each format (the Clinks response) and the staff upload")
    bench_formats()
    bench_long()
    bench_bomb()
    bench_limits()
    bench_upload()


if __name__ == "__main__":
    main()
