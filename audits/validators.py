"""Checks on an uploaded production file before an audit job is created."""

import csv
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from audits.engine.reading import InputFileError, check_columns, normalise_header

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


HEADER_MAX_BYTES = 64 * 1024


def _header_cells(uploaded: UploadedFile, extension: str) -> list[str]:
    if extension == ".xlsx":
        import openpyxl

        uploaded.seek(0)
        try:
            workbook = openpyxl.load_workbook(uploaded, read_only=True, data_only=True)
            try:
                first = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            finally:
                workbook.close()
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise ValidationError(
                "The .xlsx file could not be opened; open it in Excel and save it again, "
                "or upload a CSV.",
                code="content",
            ) from exc
        finally:
            uploaded.seek(0)
        return ["" if cell is None else str(cell) for cell in first]
    head = _read_head(uploaded)[:HEADER_MAX_BYTES]
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) >= HEADER_MAX_BYTES:
        raise ValidationError("The header line is longer than 64 KB.", code="header")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again.",
            code="encoding",
        ) from exc
    return next(csv.reader([text.rstrip("\r")]), [])


def upload_header_validate(uploaded: UploadedFile, *, extension: str) -> None:
    """Check the header row only (cheap), so a missing column is refused at upload time.

    The rest of the file is read by the worker, which reports every other problem.
    """
    columns = [normalise_header(cell) for cell in _header_cells(uploaded, extension)]
    while columns and not columns[-1]:
        columns.pop()
    try:
        check_columns(columns)
    except InputFileError as exc:
        raise ValidationError(exc.message, code="columns") from exc
