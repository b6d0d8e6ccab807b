"""What the workbench's forms send: an urlencoded form's fields, and the file of an upload
(multipart/form-data), read with the standard library."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qs

from reasoner.errors import InputError


def form_fields(body: bytes, content_type: str, where: str) -> dict[str, str]:
    """The fields of an urlencoded form (the last value of a repeated field); InputError otherwise."""
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise InputError(where, "form", "Content-Type", f"{content_type or 'none'}: expected a form "
                         "(application/x-www-form-urlencoded)")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise InputError(where, "form", "-", f"not UTF-8: {exc}") from exc
    return {name: values[-1] for name, values in fields.items()}


def uploaded_file(body: bytes, content_type: str, field: str, where: str) -> tuple[str, bytes]:
    """The name and bytes of the file sent as ``field`` of a multipart/form-data upload."""
    if not content_type.startswith("multipart/form-data"):
        raise InputError(where, "upload", "Content-Type", f"{content_type or 'none'}: expected multipart/form-data")
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if not data.strip():
                raise InputError(where, "upload", field, "the file is empty: choose a PAS request Bundle (JSON)")
            return str(part.get_filename() or "upload"), data
    raise InputError(where, "upload", field, "no file was sent: choose a PAS request Bundle (JSON)")
