"""Emails (.eml): the body, the readable attachments, nested messages and the sent date."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import email
import email.policy
import html
import quopri

from .common import ACCEPTED, DEFAULT_LIMITS, DocumentLimits, DocumentText, MAX_EMAIL_NESTING, ReadError, TooLarge, ensure_characters_within
from .html_text import _html_text
from .sniffing import _Refused, sniff


# --- email ----------------------------------------------------------------------------------


def _read_email(filename: str, data: bytes, depth: int, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentText:
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        return _email_text(filename, message, depth, limits)
    except (ReadError, MemoryError):
        raise
    except Exception:  # the email package fails in many ways on damaged messages (a RecursionError too)
        raise ReadError(f"{filename} looks like an email but could not be read: it may be damaged. "
                        "Save the email again from your mail program as .eml, then try again.") from None


def _sniff_quietly(data: bytes) -> str | None:
    try:
        return sniff(data)
    except _Refused:
        return None


def _email_text(filename: str, message, depth: int, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentText:
    """The subject as a heading, the body (plain text preferred), then each attachment read
    with the same readers under its own heading. Unreadable attachments become warnings; an
    attachment beyond a limit refuses the email, and so does the text of all of them together
    going past ``limits.max_characters``."""
    from .reading import read_document  # here, not above: reading imports this module

    found: list[str] = []
    sections: list[str] = []
    subject = " ".join(str(message.get("subject", "") or "").split())
    body = message.get_body(preferencelist=("plain", "html"))
    body_text = ""
    if body is not None:
        content = _part_text(body)
        body_text = _html_text(filename, content) if body.get_content_type() == "text/html" else content
    if body_text.strip():
        sections.append(body_text.strip())
    characters = len(subject) + len(body_text)
    ensure_characters_within(filename, characters, limits.max_characters)

    attachments_read = 0
    for number, part in enumerate(message.iter_attachments(), start=1):
        name = _attachment_name(part, number)
        content_type = part.get_content_type()
        if content_type.startswith("image/") and part.get("content-id") and not part.get_filename():
            continue  # a logo or picture shown inside the message, not a document sent with it
        try:
            if content_type == "message/rfc822":
                if depth >= MAX_EMAIL_NESTING:
                    raise ReadError(f"{name} is an email nested more than {MAX_EMAIL_NESTING} deep; it was not read.")
                child = _email_text(name, _attached_message(name, part), depth + 1, limits)
            else:
                payload = part.get_payload(decode=True) or b""
                if content_type == "text/plain" and _sniff_quietly(payload) == "text":
                    payload = _part_text(part).encode("utf-8")  # decoded from its declared charset
                child = read_document(name, payload, limits=limits, _depth=depth + 1)
        except TooLarge as error:
            raise TooLarge(f"{filename} could not be read because of an attachment: {error}") from None
        except ReadError as error:
            found.append(f"Attachment {name} was not read: {str(error).replace(' ' + ACCEPTED, '')}")
            continue
        attachments_read += 1
        sections.append(f"# Attachment: {name}\n\n{child.text.strip()}")
        found.extend(child.warnings)
        characters += len(child.text)
        ensure_characters_within(filename, characters, limits.max_characters)

    if not sections:
        reasons = " ".join(found)
        raise ReadError(
            f"{filename} is an email with no readable text: its body is empty and "
            + ("none of its attachments could be read. " + reasons if found else "it has no attachments.")
        )
    if subject:
        sections.insert(0, f"# {subject}")
    return DocumentText("\n\n".join(sections) + "\n", "message/rfc822", tuple(found), _email_date(message))


def _attached_message(name: str, part):
    """An attached email. Some mail programs base64-encode it, which the standard parser
    leaves as an encoded body without headers, so that is decoded and parsed here."""
    inner = part.get_content()
    encoding = str(part.get("content-transfer-encoding", "")).lower()
    if encoding in ("base64", "quoted-printable") and not inner.is_multipart():
        encoded = str(inner.get_payload())
        try:
            data = (base64.b64decode(encoded) if encoding == "base64"
                    else quopri.decodestring(encoded.encode("ascii", errors="replace")))
        except (binascii.Error, ValueError):
            raise ReadError(f"{name} is an attached email that is damaged; it was not read.") from None
        inner = email.message_from_bytes(data, policy=email.policy.default)
    return inner


def _part_text(part) -> str:
    """A text part's content in its declared charset; unknown charsets are read as UTF-8."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        content = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def _attachment_name(part, number: int) -> str:
    name = part.get_filename()
    if name:
        return " ".join(html.unescape(str(name)).replace("/", " ").replace("\\", " ").split())[:200]
    return f"attachment {number} ({part.get_content_type()})"


def _email_date(message) -> dt.date | None:
    try:
        header = message.get("date")
        value = getattr(header, "datetime", None)
    except (TypeError, ValueError, IndexError):
        return None
    return value.date() if isinstance(value, dt.datetime) else None
