"""Streaming Excel writer (openpyxl write-only) shared by the case list and the audit export.

Rows are streamed through openpyxl's write-only mode: each row goes to a
temporary file as it is appended, and strings are written inline (no shared
string table), so memory stays flat however many rows there are. ``rows`` is
iterated exactly once.

What the file promises:

- Text is always text, never a formula: a title such as ``=HYPERLINK(...)``,
  ``+47 22 00 00 00`` or ``@SUM(A1)`` is stored as a string cell (formula
  injection).
- Characters XML 1.0 cannot carry (the C0 controls except tab, line feed and
  carriage return; lone surrogates; U+FFFE, U+FFFF) are replaced by a space,
  never a crash. A space rather than nothing, because text pasted from Word
  uses U+000B as a line break, and removing it would glue words together.
- Text comes back as it was written, even text that looks like Excel's own
  escapes: Excel reads ``_xHHHH_`` in a cell as the character U+HHHH
  (LibreOffice some of them, with one to four digits), so a literal
  ``_x0041_`` is written as ``_x005F_x0041_`` (``_x005F_`` is the escape for
  "_"). openpyxl writes text as it is; ``excel_text`` escapes.
- Text is never cut, except beyond Excel's limit of 32 767 characters per
  cell (counted in UTF-16 units, as Excel counts them): longer text is cut so
  that it ends with a marker the reader sees ("… [forkortet]" in the active
  language) and the whole fits the limit. Case titles are at most 300
  characters, so only free text can reach it.
- Moments are shown in Oslo time as real Excel dates (``DD.MM.YYYY HH:MM``);
  dates as ``DD.MM.YYYY``.
- Every sheet starts with the bold, frozen header row, and has an autofilter
  over the header and its rows. Rows beyond one sheet's capacity continue on
  "Saker (2)", "Saker (3)", ...
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape as _escape
from typing import IO, Any, BinaryIO, Literal

import openpyxl
from django.http import FileResponse
from django.utils.translation import gettext
from lxml.etree import xmlfile  # type: ignore[import-untyped]
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS

from portal.dates import OSLO, oslo_date

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
PROGRESS_EVERY = 1000
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
DATE_FORMAT = "DD.MM.YYYY"
MAX_SHEET_TITLE = 31  # Excel's limit on a sheet name

if not openpyxl.LXML:  # the header and the sheet's frame are written by openpyxl's lxml writer
    raise ImportError("portal.xlsx needs openpyxl with lxml (do not set OPENPYXL_LXML=False)")

# openpyxl's ILLEGAL_CHARACTERS_RE, plus what XML 1.0 also forbids and the
# etree writer would pass through unchecked (surrogates fail to encode).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The underscore that starts an "_xHHHH_" (ECMA-376's ST_Xstring escape, which
# Excel decodes in any cell text, hex digits in either case). LibreOffice also
# reads one to three digits ("_x4_" is U+0004), so those are escaped too:
# "_x005F_" is an underscore to both, so escaping more than needed is harmless.
_XSTRING_START = re.compile(r"_(?=x[0-9A-Fa-f]{1,4}_)")
_HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class ExportColumn:
    key: str
    header: str  # already translated
    kind: Literal["text", "datetime", "date", "number"]
    width: float  # in Excel character units


def write_xlsx(
    out: BinaryIO,
    columns: Sequence[ExportColumn],
    rows: Iterable[Sequence[object]],
    *,
    sheet_title: str,
    progress: Callable[[int], None] | None = None,
    max_rows_per_sheet: int = EXCEL_MAX_ROWS,
) -> int:
    """Write ``rows`` as an .xlsx workbook to ``out``; return the number of data rows.

    Each row holds one value per column (``None`` for an empty cell). Datetimes
    must be aware. ``progress`` is called with the number of rows written so
    far after every 1000th row, and once more with the total when the file is
    complete (so a total that is a multiple of 1000 is reported twice).
    ``max_rows_per_sheet`` counts the header row, as Excel does.
    """
    if not columns:
        raise ValueError("an export needs at least one column")
    if not 2 <= max_rows_per_sheet <= EXCEL_MAX_ROWS:
        raise ValueError(f"max_rows_per_sheet must be 2..{EXCEL_MAX_ROWS}")
    rows_per_sheet = max_rows_per_sheet - 1

    workbook = Workbook(write_only=True)
    sheets: list[Any] = []
    try:
        written = 0
        in_sheet = 0
        # WriteOnlyWorksheet; typed Any because the openpyxl stubs lack
        # its column_dimensions and auto_filter.
        sheet: Any = None
        prepare: _RowXml | None = None
        for row in rows:
            if sheet is None or in_sheet == rows_per_sheet:
                if sheet is not None:
                    _add_filter(sheet, columns, in_sheet)
                sheet = _start_sheet(workbook, columns, _sheet_name(sheet_title, len(sheets) + 1))
                sheets.append(sheet)
                if prepare is None:
                    prepare = _RowXml(workbook, sheet, columns)
                in_sheet = 0
            assert prepare is not None
            sheet.append(prepare(in_sheet + 2, row))  # row 1 is the header
            in_sheet += 1
            written += 1
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)
        if sheet is None:  # no rows: still a valid file with the header
            sheet = _start_sheet(workbook, columns, _sheet_name(sheet_title, 1))
            sheets.append(sheet)
        _add_filter(sheet, columns, in_sheet)
        workbook.save(out)
    except BaseException:
        _remove_temporary_files(sheets)
        raise
    if progress is not None:
        progress(written)
    return written


def xlsx_download(handle: IO[bytes], filename: str) -> FileResponse:
    """A finished workbook (an open file, closed by the response) as a download."""
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def xlsx_export(
    columns: Sequence[ExportColumn],
    rows: Iterable[Sequence[object]],
    *,
    sheet_title: str,
    filename: str,
) -> FileResponse:
    """``rows`` written to a temporary file (memory stays bounded) and sent as a download."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    try:
        write_xlsx(handle, columns, rows, sheet_title=sheet_title)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return xlsx_download(handle, filename)


def _sheet_name(title: str, number: int) -> str:
    if number == 1:
        return title[:MAX_SHEET_TITLE]
    suffix = f" ({number})"
    return title[: MAX_SHEET_TITLE - len(suffix)] + suffix


def _start_sheet(workbook: Workbook, columns: Sequence[ExportColumn], title: str) -> Any:
    sheet: Any = _Sheet(parent=workbook, title=title)
    workbook._add_sheet(sheet)  # type: ignore[attr-defined]  # what create_sheet does, with our sheet class
    # In write-only mode the panes and column widths are written before the
    # first row, so they must be set now; the autofilter is written last.
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header = []
    for column in columns:
        cell = _text_cell(sheet, column.header)
        if cell is not None:
            cell.font = _HEADER_FONT
        header.append(cell)
    sheet.append(header)
    return sheet


def _add_filter(sheet: Any, columns: Sequence[ExportColumn], data_rows: int) -> None:
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{data_rows + 1}"


class _PreparedRow(tuple[str, int]):
    """A data row already serialised as ``<row>`` XML, and its row number."""

    __slots__ = ()


class _RowWriter(WorksheetWriter):
    """openpyxl's sheet writer, writing prepared rows straight into the sheet's file.

    The sheet's XML is still written by lxml's incremental writer, as openpyxl
    does, but unbuffered into a file we hold, so a prepared row's bytes can go
    into that file between what lxml writes: after ``<sheetData>``, before
    ``</sheetData>``.
    """

    _raw: IO[bytes]

    def get_stream(self) -> Any:
        # openpyxl's get_stream, with the file opened here. In write-only mode
        # openpyxl gives every sheet a temporary file by name.
        path = self.out
        if not isinstance(path, str):
            raise TypeError(f"expected openpyxl's temporary file name, got {type(path).__name__}")
        with (
            open(path, "wb") as raw,
            xmlfile(raw, buffered=False) as xf,
        ):
            self._raw = raw
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        element = yield
                        if element is True:
                            yield xf
                        elif element is not None:
                            xf.write(element)
                except GeneratorExit:
                    pass

    def write_row(self, xf: Any, row: Any, row_idx: int) -> None:
        if isinstance(row, _PreparedRow):
            xml, number = row
            if number != row_idx:  # never silently misplace rows
                raise AssertionError(f"row {number} arrived as row {row_idx}")
            self._raw.write(xml.encode())
        else:
            super().write_row(xf, row, row_idx)


class _Sheet(WriteOnlyWorksheet):
    """openpyxl's write-only sheet, where a data row may come prepared.

    openpyxl turns every value into a cell object, checks its type and writes
    it through several nested XML contexts: about 100 µs a row of eight
    cells, two thirds of a 100 000-row export. A prepared row is its XML,
    built from values whose kinds are already known (``_RowXml``) and written
    as it is; the workbook, the header, the styles and the zip are openpyxl's.
    """

    def _values_to_row(self, values: Any, row_idx: int) -> Any:
        if isinstance(values, _PreparedRow):
            return values
        return super()._values_to_row(values, row_idx)  # type: ignore[misc]

    def _get_writer(self) -> None:
        if self._writer is None:  # type: ignore[has-type]
            writer = _RowWriter(self)
            self._writer = writer
            writer.write_top()


class _RowXml:
    """Serialises the data rows of one workbook, by the columns' kinds."""

    def __init__(self, workbook: Workbook, sheet: Any, columns: Sequence[ExportColumn]) -> None:
        self.columns = columns
        self.letters = [get_column_letter(index) for index in range(1, len(columns) + 1)]
        self.epoch = workbook.epoch
        # Registering a number format in the workbook's style table gives its id.
        self.style_ids: dict[str, int] = {}
        for kind, number_format in (("datetime", DATETIME_FORMAT), ("date", DATE_FORMAT)):
            cell = WriteOnlyCell(sheet)
            cell.number_format = number_format
            self.style_ids[kind] = cell.style_id

    def __call__(self, number: int, row: Sequence[object]) -> _PreparedRow:
        if len(row) != len(self.columns):
            raise ValueError(f"row {number} has {len(row)} values for {len(self.columns)} columns")
        parts = [f'<row r="{number}">']
        for letter, column, value in zip(self.letters, self.columns, row, strict=True):
            if value is None:
                continue
            kind = column.kind
            if kind == "text":
                text = excel_text(value if isinstance(value, str) else str(value))
                if not text:
                    continue  # an inline string cell without a string is not valid for Excel
                # An inline string is text whatever it starts with: never a formula.
                space = ' xml:space="preserve"' if text != text.strip() else ""
                parts.append(
                    f'<c r="{letter}{number}" t="inlineStr"><is><t{space}>'
                    f"{_xml_text(text)}</t></is></c>"
                )
                continue
            if kind == "number":
                numeric = _number(column, value)
                if numeric is None:
                    continue
                serial = str(numeric)
                style = ""
            else:
                moment = (
                    _oslo_wall_clock(column, value)
                    if kind == "datetime"
                    else _excel_date(column, value)
                )
                serial = repr(to_excel(moment, self.epoch))  # type: ignore[no-untyped-call]
                style = f' s="{self.style_ids[kind]}"'
            parts.append(f'<c r="{letter}{number}"{style} t="n"><v>{serial}</v></c>')
        parts.append("</row>")
        return _PreparedRow(("".join(parts), number))


def _text_cell(sheet: Any, value: object) -> Cell | None:
    text = excel_text(value if isinstance(value, str) else str(value))
    if not text:
        return None  # an inline string cell without a string is not valid XML for Excel
    cell = WriteOnlyCell(sheet, text)
    # openpyxl makes any string starting with "=" a formula; this makes it text again.
    cell.data_type = "s"
    return cell


def _xml_text(text: str) -> str:
    """``text`` escaped as XML element content that parses back to the same string."""
    text = _escape(text, quote=False)
    # A parser turns a raw carriage return into a line feed; a reference survives.
    return text.replace("\r", "&#13;") if "\r" in text else text


def excel_text(text: str) -> str:
    """``text`` as a cell stores it, for Excel to show ``text``: no XML-illegal
    characters, at most 32 767 UTF-16 units (cut with a marker), and literal
    ``_xHHHH_`` escaped so that Excel does not decode it."""
    text = _NOT_XML.sub(" ", text)
    if len(text) > EXCEL_MAX_CELL_CHARS // 2:  # only then can it exceed the limit
        text = _cut(text)
    if "_x" in text:  # the quick test first: the regex costs on every cell
        text = _XSTRING_START.sub("_x005F_", text)
    return text


def _cut(text: str) -> str:
    """``text`` cut to Excel's limit, ending with a marker, when it is longer.

    The limit is on what Excel shows, so it is counted before escaping (an
    escaped ``_x005F_`` is one character to Excel).
    """
    units = text.encode("utf-16-le")
    if len(units) <= 2 * EXCEL_MAX_CELL_CHARS:
        return text
    # Translators: ends a text cut at the spreadsheet's cell limit
    marker = gettext("… [shortened]")
    room = 2 * (EXCEL_MAX_CELL_CHARS - len(marker.encode("utf-16-le")) // 2)
    # "ignore" drops half of a surrogate pair cut at the end.
    return units[:room].decode("utf-16-le", errors="ignore") + marker


def _number(column: ExportColumn, value: object) -> int | float | Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"column {column.key!r} expects a number, got {type(value).__name__}")
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    # openpyxl would write NaN and infinity as text Excel cannot read: leave the cell empty.
    return value if finite else None


def _oslo_wall_clock(column: ExportColumn, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"column {column.key!r} expects a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"column {column.key!r} needs aware datetimes")
    # Excel has no time zones: show the Oslo wall-clock time.
    return value.astimezone(OSLO).replace(tzinfo=None)


def _excel_date(column: ExportColumn, value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        value = oslo_date(value)  # raises for a naive datetime
    if not isinstance(value, dt.date):
        raise TypeError(f"column {column.key!r} expects a date, got {type(value).__name__}")
    # Excel stores a date as a day number either way; openpyxl's types want a datetime.
    return dt.datetime.combine(value, dt.time())


def _remove_temporary_files(sheets: Sequence[Any]) -> None:
    """After a failure, delete the sheets' temporary files, which openpyxl would
    otherwise keep until the process exits (a saved workbook removes its own)."""
    for sheet in sheets:
        with contextlib.suppress(Exception):
            if not sheet.closed:
                sheet.close()
            sheet._writer.cleanup()
