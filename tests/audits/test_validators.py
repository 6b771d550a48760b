import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.validators import upload_validate

CSV = b"factory_id,sector,month\nFAC_STEEL_01,Steel,1\n"


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


def test_csv_and_xlsx_are_accepted():
    assert upload_validate(SimpleUploadedFile("data.CSV", CSV)) == ".csv"
    assert upload_validate(SimpleUploadedFile("book.xlsx", xlsx_bytes())) == ".xlsx"


@pytest.mark.parametrize("name", ["data.txt", "data.xls", "data", "data.csv.exe"])
def test_other_extensions_are_refused(name):
    with pytest.raises(ValidationError, match=r"\.csv or \.xlsx"):
        upload_validate(SimpleUploadedFile(name, CSV))


def test_too_large_files_are_refused(settings):
    settings.CARBONTRACE_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ValidationError, match="limit"):
        upload_validate(SimpleUploadedFile("data.csv", CSV))


def test_empty_files_are_refused():
    with pytest.raises(ValidationError, match="empty"):
        upload_validate(SimpleUploadedFile("data.csv", b""))


def test_an_xlsx_must_be_a_zip_archive():
    with pytest.raises(ValidationError, match="not a valid Excel workbook"):
        upload_validate(SimpleUploadedFile("book.xlsx", CSV))


@pytest.mark.parametrize("content", [b"factory_id\x00,sector\n", xlsx_bytes()])
def test_a_csv_must_not_be_binary(content):
    with pytest.raises(ValidationError, match="binary"):
        upload_validate(SimpleUploadedFile("data.csv", content))
