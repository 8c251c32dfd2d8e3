"""The case list export's Excel writer, read back with openpyxl as a user's Excel would see it.

No database: the writer only turns rows of values into a workbook. openpyxl
reads a cell's text as stored; where Excel would decode it (``_xHHHH_``), the
tests decode it by openpyxl's ``unescape``, which is the same rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import escape as openpyxl_escape
from openpyxl.worksheet import _writer as openpyxl_sheet_writer

from portal.xlsx import EXCEL_MAX_CELL_CHARS, ExportColumn, excel_text, write_xlsx
from tests.office import convert

UTC = dt.UTC

NUMMER = ExportColumn("nummer", "Saksnummer", "text", 18)
TITTEL = ExportColumn("tittel", "Tittel", "text", 60)
OPPRETTET = ExportColumn("opprettet", "Opprettet", "datetime", 17)
FRIST = ExportColumn("frist", "Frist", "date", 11.5)
VEDLEGG = ExportColumn("vedlegg", "Vedlegg", "number", 9)
COLUMNS = [NUMMER, TITTEL, OPPRETTET, FRIST, VEDLEGG]


def case_row(i: int, title: str = "Lønnskjøring feiler") -> list[object]:
    return [
        f"SAK-2024-{i:07d}",
        title,
        dt.datetime(2024, 3, 1, 8, 15, tzinfo=UTC) + dt.timedelta(minutes=i),
        dt.date(2024, 4, 1),
        i % 4,
    ]


def export(
    rows: Iterable[Sequence[object]],
    columns: Sequence[ExportColumn] = COLUMNS,
    **options: Any,
) -> tuple[int, IO[bytes]]:
    """Export to a temporary file, as the export job does; return the count and the file's bytes."""
    options.setdefault("sheet_title", "Saker")
    with tempfile.TemporaryFile() as out:
        count = write_xlsx(out, columns, rows, **options)
        out.seek(0)
        return count, io.BytesIO(out.read())


def first_sheet(out: IO[bytes], *, read_only: bool = False) -> Any:
    return load_workbook(out, read_only=read_only).worksheets[0]


def read_back(rows: Iterable[Sequence[object]], **options: Any) -> Any:
    _, out = export(rows, **options)
    return load_workbook(out)


def only_cell(value: object, column: ExportColumn = TITTEL) -> Any:
    """The one data cell of a single-column export of ``value``."""
    sheet = read_back([[value]], columns=[column]).active
    return sheet["A2"]


@pytest.mark.parametrize(
    "title",
    ['=HYPERLINK("https://example.com","Klikk her")', "+47 22 00 00 00", "-1", "@SUM(A1)", "="],
)
def test_text_that_looks_like_a_formula_comes_back_as_the_same_text(title: str) -> None:
    cell = only_cell(title)
    assert cell.value == title
    assert cell.data_type == "s"


def test_the_file_holds_no_formulas_at_all() -> None:
    rows = [case_row(1, '=HYPERLINK("x")'), case_row(2, "=1+1"), case_row(3, "@SUM(A1)")]
    columns = [ExportColumn("x", "=Overskrift", "text", 10), *COLUMNS[1:]]
    _, out = export(rows, columns=columns)
    with zipfile.ZipFile(out) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            xml = archive.read(name).decode()
            assert "HYPERLINK" in xml or "Overskrift" in xml or "SUM" in xml
            assert re.search(r"<f[ >/]", xml) is None


def test_characters_illegal_in_xml_become_spaces_instead_of_crashing() -> None:
    cell = only_cell("Feil\x0bi lønn\x1f for mars")
    assert cell.value == "Feil i lønn  for mars"


def test_every_xml_illegal_character_is_replaced() -> None:
    controls = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
    cell = only_cell(f"a{controls}\ud800\ufffe\uffffb")
    assert cell.value == "a" + " " * (len(controls) + 3) + "b"


def test_tab_and_line_breaks_are_kept() -> None:
    assert only_cell("linje 1\nlinje 2\tkolonne").value == "linje 1\nlinje 2\tkolonne"
    assert only_cell("Windows\r\nlinje\rMac").value == "Windows\r\nlinje\rMac"


@pytest.mark.parametrize(
    "text",
    [
        "  innrykk og mellomrom bak  ",
        "\tfane først",
        "A & B <c> \"d\" 'e' ]]> &amp; &#13;",
        "😀 æøå ÆØÅ",
    ],
)
def test_text_comes_back_exactly_as_written(text: str) -> None:
    assert only_cell(text).value == text


def test_a_full_length_title_comes_back_whole() -> None:
    title = ("Lønnsoppgjør æøå " * 20)[:300]
    assert len(title) == 300
    assert only_cell(title).value == title


def test_text_at_excels_cell_limit_comes_back_whole() -> None:
    text = "x" * (EXCEL_MAX_CELL_CHARS - 1) + "ø"
    assert only_cell(text).value == text


def utf16_units(text: str) -> int:
    """The length as Excel counts it: a character outside the BMP is two."""
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("language", "marker"),
    [("nb", "… [forkortet]"), ("nn", "… [forkorta]"), ("en", "… [shortened]")],
)
def test_text_beyond_excels_cell_limit_is_cut_with_a_marker_in_the_files_language(
    language: str, marker: str
) -> None:
    with translation.override(language):
        value = only_cell("y" * 40_000).value
    assert value.endswith(marker)
    assert value == "y" * (EXCEL_MAX_CELL_CHARS - len(marker)) + marker
    assert utf16_units(value) == EXCEL_MAX_CELL_CHARS


def test_cell_limit_counts_characters_outside_the_bmp_as_two_like_excel() -> None:
    with translation.override("nb"):
        # 16 384 emoji are 32 768 UTF-16 units: one too many.
        value = only_cell("😀" * 16_384).value
    marker = "… [forkortet]"
    assert value.endswith(marker)
    kept = value.removesuffix(marker)
    # 32 767 - 13 units leave room for 16 377 emoji; half of one is never kept.
    assert kept == "😀" * ((EXCEL_MAX_CELL_CHARS - len(marker)) // 2)
    assert utf16_units(value) <= EXCEL_MAX_CELL_CHARS


def test_text_exactly_at_the_limit_in_emoji_is_not_marked() -> None:
    text = "😀" * 16_383 + "x"  # 32 767 units
    assert only_cell(text).value == text


# Text that Excel would read as its own escapes (ECMA-376 ST_Xstring): "_xHHHH_"
# is the character U+HHHH, "_x005F_" an underscore.
EXCEL_ESCAPE_LOOKALIKES = [
    "Konto _x0041_ feil",
    "_x005F_",
    "_x005f_x0041_",
    "_x0041_x0042_",
    "__x0041__",
    "_x00e6_ og _x00C6_",
    "_xD83D_",
    "_x4_ _x04_ _x004_",  # LibreOffice decodes these too
    "_x00411_ _X0041_ x0041_ _x_ _xg_",  # not escapes: left as they are
    "lønn_x000D__x000A_mars",
]


@pytest.mark.parametrize("title", EXCEL_ESCAPE_LOOKALIKES)
def test_text_that_looks_like_an_excel_escape_comes_back_as_written(title: str) -> None:
    stored = only_cell(title).value
    # openpyxl reads inline text as stored; its unescape is the rule Excel reads it by.
    assert openpyxl_escape.unescape(stored) == title
    assert stored == excel_text(title)


def libreoffice_unescape(text: str) -> str:
    """The wider rule LibreOffice reads by: one to four hex digits."""
    return re.sub(r"_x([0-9A-Fa-f]{1,4})_", lambda m: chr(int(m.group(1), 16)), text)


def test_only_the_underscore_that_starts_an_escape_is_escaped() -> None:
    assert excel_text("a_x0041_b") == "a_x005F_x0041_b"
    assert excel_text("_x0041_x0042_") == "_x005F_x0041_x005F_x0042_"
    assert excel_text("_x4_") == "_x005F_x4_"
    assert excel_text("snake_case x_1 _x00411_ _x_") == "snake_case x_1 _x00411_ _x_"


@given(st.text(alphabet="_x04AFf\u00e6\U0001f600 ", max_size=40))
def test_any_text_comes_back_as_written_after_excels_decoding(text: str) -> None:
    stored = excel_text(text)
    assert openpyxl_escape.unescape(stored) == text
    assert libreoffice_unescape(stored) == text


def test_a_header_that_looks_like_an_escape_comes_back_as_written() -> None:
    columns = [ExportColumn("x", "Felt _x0041_", "text", 10)]
    sheet = read_back([["verdi"]], columns=columns).active
    assert openpyxl_escape.unescape(sheet["A1"].value) == "Felt _x0041_"


def test_a_long_text_with_escape_lookalikes_is_cut_by_what_excel_shows() -> None:
    text = "_x0041_" * 6_000  # 42 000 characters
    with translation.override("nb"):
        shown = openpyxl_escape.unescape(only_cell(text).value)
    assert shown.endswith("… [forkortet]")
    assert utf16_units(shown) == EXCEL_MAX_CELL_CHARS
    assert text.startswith(shown.removesuffix("… [forkortet]"))


def test_moments_are_shown_in_oslo_time_as_real_excel_dates() -> None:
    cell = only_cell(dt.datetime(2022, 11, 10, 23, 30, tzinfo=UTC), OPPRETTET)
    assert cell.is_date
    assert cell.value == dt.datetime(2022, 11, 11, 0, 30)
    assert cell.number_format == "DD.MM.YYYY HH:MM"


def test_summer_time_is_respected() -> None:
    cell = only_cell(dt.datetime(2024, 7, 1, 10, 0, tzinfo=UTC), OPPRETTET)
    assert cell.value == dt.datetime(2024, 7, 1, 12, 0)


def test_dates_are_real_excel_dates_without_a_time() -> None:
    cell = only_cell(dt.date(2024, 12, 31), FRIST)
    assert cell.is_date
    assert cell.value == dt.datetime(2024, 12, 31)
    assert cell.number_format == "DD.MM.YYYY"


def test_a_moment_in_a_date_column_becomes_its_oslo_date() -> None:
    cell = only_cell(dt.datetime(2022, 11, 11, 23, 30, tzinfo=UTC), FRIST)
    assert cell.value == dt.datetime(2022, 11, 12)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        export([[dt.datetime(2024, 1, 1, 12, 0)]], columns=[OPPRETTET])


def test_numbers_are_numbers() -> None:
    sheet = read_back([[3], [2.5], [Decimal("1234.50")], [-1]], columns=[VEDLEGG]).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [3, 2.5, 1234.5, -1]
    assert {c.data_type for c in cells} == {"n"}


def test_a_number_that_is_not_finite_leaves_the_cell_empty() -> None:
    sheet = read_back([[float("nan")], [float("inf")], [Decimal("NaN")]], columns=[VEDLEGG]).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2, max_row=4)] == [None] * 3


@pytest.mark.parametrize(("value", "column"), [("3", VEDLEGG), (True, VEDLEGG), ("i dag", FRIST)])
def test_a_value_of_the_wrong_kind_is_refused(value: object, column: ExportColumn) -> None:
    with pytest.raises(TypeError):
        export([[value]], columns=[column])


def test_a_row_with_the_wrong_number_of_values_is_refused() -> None:
    with pytest.raises(ValueError, match="1 values for 5 columns"):
        export([["SAK-2024-0000001"]])


def test_empty_values_give_empty_cells() -> None:
    sheet = read_back([[None, "", None, None, None]]).active
    assert [c.value for c in sheet[2]] == [None] * 5


def test_the_header_is_bold_frozen_filtered_and_sized() -> None:
    sheet = read_back(case_row(i) for i in range(100)).active
    assert sheet.title == "Saker"
    assert [c.value for c in sheet[1]] == [
        "Saksnummer",
        "Tittel",
        "Opprettet",
        "Frist",
        "Vedlegg",
    ]
    assert all(c.font.b for c in sheet[1])
    assert not any(c.font.b for c in sheet[2])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E101"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDE"]
    assert widths == [18, 60, 17, 11.5, 9]


def test_rows_beyond_a_sheet_continue_on_new_sheets_with_the_header() -> None:
    workbook = read_back((case_row(i) for i in range(9)), max_rows_per_sheet=5)
    assert workbook.sheetnames == ["Saker", "Saker (2)", "Saker (3)"]
    numbers = []
    for sheet, data_rows in zip(workbook.worksheets, [4, 4, 1], strict=True):
        assert sheet.max_row == data_rows + 1
        assert [c.value for c in sheet[1]][:2] == ["Saksnummer", "Tittel"]
        assert sheet["A1"].font.b
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:E{data_rows + 1}"
        assert sheet.column_dimensions["B"].width == 60
        numbers += [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == [f"SAK-2024-{i:07d}" for i in range(9)]


def test_a_sheet_filled_exactly_gets_no_empty_sheet_after_it() -> None:
    workbook = read_back((case_row(i) for i in range(8)), max_rows_per_sheet=5)
    assert workbook.sheetnames == ["Saker", "Saker (2)"]


def test_a_long_sheet_title_is_cut_to_excels_31_characters_with_room_for_the_number() -> None:
    title = "Saker for Fjordetaten og Kystdirektoratet"
    workbook = read_back((case_row(i) for i in range(3)), max_rows_per_sheet=2, sheet_title=title)
    assert workbook.sheetnames == [title[:31], title[:27] + " (2)", title[:27] + " (3)"]


def test_zero_rows_give_a_valid_file_with_the_header() -> None:
    progress: list[int] = []
    count, out = export([], progress=progress.append)
    assert count == 0
    assert progress == [0]
    sheet = first_sheet(out)
    assert sheet["A1"].value == "Saksnummer"
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E1"


def test_progress_is_reported_every_thousand_rows_and_at_the_end() -> None:
    progress: list[int] = []
    count, _ = export((case_row(i) for i in range(2500)), progress=progress.append)
    assert count == 2500
    assert progress == [1000, 2000, 2500]


def test_twenty_thousand_rows_are_streamed_from_a_generator_in_one_pass() -> None:
    produced = 0

    def rows() -> Iterator[list[object]]:
        nonlocal produced
        for i in range(20_000):
            produced += 1
            yield [f"SAK-2024-{i:07d}", i]

    # How far the generator had got each time progress was reported: the
    # writer must not have pulled rows ahead of those it has written.
    seen: list[tuple[int, int]] = []
    columns = [NUMMER, VEDLEGG]
    count, out = export(rows(), columns=columns, progress=lambda n: seen.append((n, produced)))

    assert count == 20_000
    assert seen[:3] == [(1000, 1000), (2000, 2000), (3000, 3000)]
    assert seen[-1] == (20_000, 20_000)
    sheet = first_sheet(out, read_only=True)
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 20_001
    assert values[-1] == ("SAK-2024-0019999", 19_999)


def test_a_failure_mid_export_leaves_no_temporary_files_behind() -> None:
    before = set(openpyxl_sheet_writer.ALL_TEMP_FILES)

    def rows() -> Iterator[list[object]]:
        for i in range(7):
            yield case_row(i)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        export(rows(), max_rows_per_sheet=5)

    assert set(openpyxl_sheet_writer.ALL_TEMP_FILES) <= before


def test_libreoffice_opens_the_file_and_shows_the_same_values(tmp_path: Path) -> None:
    """A second reader besides openpyxl: LibreOffice's CSV shows each cell as displayed."""
    rows = [
        case_row(1, '=HYPERLINK("x")'),
        case_row(2, "A & B <c> æøå \x0b slutt"),
        [
            "SAK-2024-0000003",
            "  mellomrom  ",
            dt.datetime(2022, 11, 10, 23, 30, tzinfo=UTC),
            None,
            2.5,
        ],
    ]
    source = tmp_path / "saker.xlsx"
    source.write_bytes(export(rows)[1].read())
    # 44: comma-separated, 34: quoted, 76: UTF-8; the cells as formatted.
    converted = convert(source, "csv:Text - txt - csv (StarCalc):44,34,76")
    lines = list(csv.reader(converted.read_text(encoding="utf-8-sig").splitlines()))
    assert lines == [
        ["Saksnummer", "Tittel", "Opprettet", "Frist", "Vedlegg"],
        ["SAK-2024-0000001", '=HYPERLINK("x")', "01.03.2024 09:16", "01.04.2024", "1"],
        ["SAK-2024-0000002", "A & B <c> æøå   slutt", "01.03.2024 09:17", "01.04.2024", "2"],
        ["SAK-2024-0000003", "  mellomrom  ", "11.11.2022 00:30", "", "2.5"],
    ]


def test_libreoffice_shows_escape_lookalikes_and_the_cut_text_as_excel_would(
    tmp_path: Path,
) -> None:
    """LibreOffice decodes "_x005F_" (not every escape, as Excel does): a literal
    "_x005F_" left unescaped would come back as "_"."""
    long_title = "Lønn " * 8_000  # 40 000 characters
    titles = [*EXCEL_ESCAPE_LOOKALIKES, long_title]
    source = tmp_path / "saker.xlsx"
    with translation.override("nb"):
        source.write_bytes(export([[title] for title in titles], columns=[TITTEL])[1].read())
    converted = convert(source, "csv:Text - txt - csv (StarCalc):44,34,76")
    lines = list(csv.reader(converted.read_text(encoding="utf-8-sig").splitlines()))
    shown = [line[0] for line in lines[1:]]
    assert shown[:-1] == EXCEL_ESCAPE_LOOKALIKES
    cut = shown[-1]
    assert cut.endswith("… [forkortet]")
    assert long_title.startswith(cut.removesuffix("… [forkortet]"))
    assert utf16_units(cut) == EXCEL_MAX_CELL_CHARS
