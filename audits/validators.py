"""Checks on an uploaded production file before an audit job is created."""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

ALLOWED_EXTENSIONS = (".csv", ".xlsx")
ZIP_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 64 * 1024


def _read_head(uploaded: UploadedFile) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    return head


def upload_validate(uploaded: UploadedFile) -> str:
    """Validate size, extension and content; return the extension (".csv" or ".xlsx")."""
    name = PurePath(uploaded.name or "").name
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            f"“{name}” is not a supported file: upload a .csv or .xlsx file.", code="extension"
        )

    max_bytes = settings.CARBONTRACE_MAX_UPLOAD_BYTES
    if uploaded.size is not None and uploaded.size > max_bytes:
        raise ValidationError(
            f"The file is {uploaded.size / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MB.",
            code="size",
        )
    if not uploaded.size:
        raise ValidationError("The file is empty.", code="empty")

    head = _read_head(uploaded)
    if extension == ".xlsx" and not head.startswith(ZIP_MAGIC):
        raise ValidationError(
            "This .xlsx file is not a valid Excel workbook. Save it again from Excel, "
            "or export it as CSV.",
            code="content",
        )
    if extension == ".csv" and (b"\x00" in head or head.startswith(ZIP_MAGIC)):
        raise ValidationError(
            "This .csv file contains binary data. If it is an Excel workbook, upload it as "
            ".xlsx, or export it as CSV (UTF-8).",
            code="content",
        )
    return extension
