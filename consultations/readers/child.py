"""Reading in a child process, stopped after ``max_seconds`` and held to ``CHILD_MEMORY``."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys

from .common import CHILD_MEMORY, DocumentLimits, DocumentText, ReadError, TooLarge


# --- reading in a child process ---------------------------------------------------------------


def _read_in_child(filename: str, data: bytes, limits: DocumentLimits) -> DocumentText:
    """``read_document`` in a child process, stopped after ``limits.max_seconds`` and held to
    ``CHILD_MEMORY``: whatever a parser does with a file, this process and its memory are safe."""
    job = json.dumps({"filename": filename, "limits": dataclasses.asdict(dataclasses.replace(limits, max_seconds=None))})
    path = os.pathsep.join(entry for entry in sys.path if entry)  # the child imports what this process does
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from consultations.readers.child import _child; _child()", job], input=data,
            capture_output=True, timeout=limits.max_seconds, env={**os.environ, "PYTHONPATH": path},
        )
    except subprocess.TimeoutExpired:
        raise TooLarge(
            f"{filename} took more than {seconds(limits.max_seconds)} to read, so reading it was stopped. "
            "A file that is not very long can still be slow to read when it is built oddly (for example, "
            "pages of complex drawings). Save or print it as a new PDF, or copy its text into a .txt file, "
            "then try again."
        ) from None
    except OSError as error:
        raise ReadError(f"{filename} could not be read just now ({error.strerror or error}). Try again.") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = {"error": f"{filename} could not be read: reading it needed more memory than is allowed "
                           f"({CHILD_MEMORY // 1024 // 1024:,} MB), or failed. It may be damaged. Save it "
                           "again as PDF or .docx, or copy its text into a .txt file, then try again."}
    if "error" in answer:
        raise (TooLarge if answer.get("too_large") else ReadError)(answer["error"])
    sent_on = dt.date.fromisoformat(answer["sent_on"]) if answer["sent_on"] else None
    return DocumentText(answer["text"], answer["media_type"], tuple(answer["warnings"]), sent_on)


def seconds(value: float) -> str:
    """1 second, 2.5 seconds."""
    return "1 second" if value == 1 else f"{value:g} seconds"


def _child() -> None:
    """The child's side of ``_read_in_child``: the file on standard input, the result as JSON."""
    from .reading import read_document  # here, not above: reading imports this module

    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    except (ImportError, ValueError, OSError):  # not on this system, or a lower limit is already set
        pass
    job = json.loads(sys.argv[1])
    try:
        found = read_document(job["filename"], sys.stdin.buffer.read(), limits=DocumentLimits(**job["limits"]))
        answer = {"text": found.text, "media_type": found.media_type, "warnings": list(found.warnings),
                  "sent_on": found.sent_on.isoformat() if found.sent_on else None}
    except ReadError as error:
        answer = {"error": str(error), "too_large": isinstance(error, TooLarge)}
    sys.stdout.write(json.dumps(answer))
