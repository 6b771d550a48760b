"""File-level checks: what makes a whole upload unusable, and reading CSV / .xlsx."""

import zipfile

import openpyxl
import pytest

from audits.engine import DEFAULT_FACTORS, InputFileError, clean_file, read_table, reading

HEADER = (
    "factory_id,sector,month,monthly_production_tons,energy_used_mwh,"
    "energy_source_type,raw_material_weight_tons"
)
ROW = "FAC_A,Steel,1,100,50,grid,120"


def write(tmp_path, content: bytes, name="upload.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_reads_every_cell_as_text_with_line_numbers(tmp_path):
    path = write(tmp_path, f"{HEADER}\n{ROW}\n\nFAC_B,Textile,02,1e3,,solar,\n".encode())
    frame = read_table(path)
    assert frame["line_number"].tolist() == [2, 4]
    assert frame["month"].tolist() == ["1", "02"]
    assert frame["energy_used_mwh"].tolist() == ["50", ""]
    assert frame.attrs["blank_lines_skipped"] == 1


def test_utf8_bom_and_messy_headers(tmp_path):
    header = HEADER.replace("factory_id", " Factory ID").replace("sector", "SECTOR ")
    path = write(tmp_path, ("\ufeff" + header + "\n" + ROW + "\n").encode())
    frame = read_table(path)
    assert "factory_id" in frame.columns and "sector" in frame.columns
    assert frame.iloc[0]["factory_id"] == "FAC_A"


def test_non_ascii_utf8_is_fine(tmp_path):
    path = write(tmp_path, (HEADER + ",factory_name\n" + ROW + ",Łódź Textiles\n").encode())
    assert read_table(path).iloc[0]["factory_name"] == "Łódź Textiles"


def test_not_utf8(tmp_path):
    path = write(tmp_path, (HEADER + ",factory_name\n" + ROW + ",Müller\n").encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        read_table(path)


def test_binary_file(tmp_path):
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputFileError, match="binary"):
        read_table(path)


def test_empty_file(tmp_path):
    with pytest.raises(InputFileError, match="empty"):
        read_table(write(tmp_path, b""))


def test_header_only(tmp_path):
    with pytest.raises(InputFileError, match="no data rows"):
        read_table(write(tmp_path, (HEADER + "\n\n").encode()))


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path, b"factory_id,sector,month\nFAC_A,Steel,1\n")
    with pytest.raises(InputFileError) as caught:
        read_table(path)
    assert "monthly_production_tons" in caught.value.message
    assert "raw_material_weight_tons" in caught.value.message


def test_duplicated_columns(tmp_path):
    path = write(tmp_path, (HEADER + ",Month\n" + ROW + ",2\n").encode())
    with pytest.raises(InputFileError, match="month"):
        read_table(path)


def test_too_many_fields_in_a_row(tmp_path):
    path = write(tmp_path, (HEADER + "\n" + ROW + ",extra,fields\n").encode())
    with pytest.raises(InputFileError):
        read_table(path)


def test_unsupported_extension(tmp_path):
    with pytest.raises(InputFileError, match=r"not a CSV or \.xlsx"):
        read_table(write(tmp_path, b"x", name="data.pdf"))


def test_filename_decides_the_format(tmp_path):
    path = write(tmp_path, (HEADER + "\n" + ROW + "\n").encode(), name="stored-upload")
    assert len(read_table(path, filename="original.csv")) == 1


def make_workbook(tmp_path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / "upload.xlsx"
    workbook.save(path)
    return path


def test_xlsx_is_read_as_text_with_sheet_row_numbers(tmp_path):
    path = make_workbook(
        tmp_path,
        [
            HEADER.split(","),
            ["FAC_A", "Steel", 1, 100.5, 50, "grid", None],
            [None] * 7,
            ["FAC_B", "textile", 2.0, 3, 4, "Natural Gas", 5],
        ],
    )
    frame = read_table(path)
    assert frame["line_number"].tolist() == [2, 4]
    assert frame["month"].tolist() == ["1", "2"]
    assert frame["monthly_production_tons"].tolist() == ["100.5", "3"]
    result = clean_file(path, DEFAULT_FACTORS)
    assert len(result.cleaned) == 2 and result.rejected.empty


def test_xlsx_rejections_carry_sheet_rows(tmp_path):
    path = make_workbook(
        tmp_path,
        [
            HEADER.split(","),
            ["FAC_A", "Steel", 13, 1, 1, "grid", 1],
        ],
    )
    result = clean_file(path, DEFAULT_FACTORS)
    assert result.rejected.iloc[0]["line_number"] == 2
    assert result.rejected.iloc[0]["reason"] == "month 13 is outside 1..12"


def test_corrupt_xlsx(tmp_path):
    with pytest.raises(InputFileError, match="corrupt"):
        read_table(write(tmp_path, b"PK\x03\x04 not really a zip", name="upload.xlsx"))


def test_xlsx_zip_bomb_is_refused_before_opening(tmp_path, monkeypatch):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 5_000_000)
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a))
    with pytest.raises(InputFileError, match="unpacks to 5,000,000 bytes"):
        read_table(path)
    assert opened == []


def test_xlsx_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_XLSX_UNCOMPRESSED_BYTES", 100)
    path = make_workbook(tmp_path, [HEADER.split(","), ROW.split(",")])
    with pytest.raises(InputFileError, match="allowed"):
        read_table(path)


@pytest.mark.parametrize(
    "body",
    [
        'FAC_A,Steel,1,100,50,grid,120,"Two\nlines"\nFAC_A,Steel,2,100,50,grid,120,x\n',
        'FAC_A,Steel,1,100,50,grid,120,"a ""q"""\r\nFAC_B,Steel,2,1,1,,, \r\n',
        "FAC_A,Steel,1,100,50,grid,120,x\n\n,,,,,,,\nFAC_B,Steel,1,1,1,1,1,1\n",
        "FAC_A,Steel,1,100\nFAC_B,Steel,1,1,1,1,1,1\n",
    ],
)
def test_fast_and_c_parsers_agree(tmp_path, body, monkeypatch):
    path = write(tmp_path, (HEADER + ",factory_name\n" + body).encode())
    fast = read_table(path)
    monkeypatch.setattr(reading, "_read_csv_arrow", lambda *args: None)
    careful = read_table(path)
    assert fast.equals(careful)
    assert fast["line_number"].tolist() == careful["line_number"].tolist()
    assert fast.attrs == careful.attrs


@pytest.mark.parametrize("block_bytes", [1, 5, 1 << 20])
def test_the_scan_sees_the_whole_file_whatever_the_block_size(tmp_path, monkeypatch, block_bytes):
    monkeypatch.setattr(reading, "_SCAN_BLOCK_BYTES", block_bytes)
    content = b"\xef\xbb\xbf" + HEADER.encode() + b"\n" + ROW.encode() + b'\n"FAC_\x00B"\n'
    scan = reading._scan_csv(write(tmp_path, content))
    assert scan.head.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\n")
    assert (scan.size, scan.only_space, scan.has_quote, scan.has_nul) == (
        len(content),
        False,
        True,
        True,
    )


@pytest.mark.parametrize("block_bytes", [2, 1 << 20])
def test_a_file_of_whitespace_is_empty(tmp_path, monkeypatch, block_bytes):
    monkeypatch.setattr(reading, "_SCAN_BLOCK_BYTES", block_bytes)
    with pytest.raises(InputFileError, match="empty"):
        read_table(write(tmp_path, b" \r\n\t \n  \n"))


def test_a_nul_byte_far_into_the_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "_SCAN_BLOCK_BYTES", 4096)
    rows = "".join(f"FAC_{i},Steel,1,100,50,grid,120\n" for i in range(3000))
    content = (HEADER + "\n" + rows).encode() + b"FAC_\x00,Steel,1,1,1,grid,1\n"
    assert content.index(b"\x00") > 65536
    with pytest.raises(InputFileError, match="NUL bytes"):
        read_table(write(tmp_path, content))


def test_a_header_longer_than_a_block_is_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "_SCAN_BLOCK_BYTES", 3)
    path = write(tmp_path, ("\ufeff" + HEADER + ",factory_name\n" + ROW + ",Łódź\n").encode())
    frame = read_table(path)
    assert frame.iloc[0]["factory_name"] == "Łódź"
    assert frame["line_number"].tolist() == [2]


def test_an_undecodable_header_byte_is_placed_in_the_file(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbffac\xfftory_id,sector\nFAC_A,Steel\n")
    with pytest.raises(InputFileError, match="position 6"):
        read_table(path)
