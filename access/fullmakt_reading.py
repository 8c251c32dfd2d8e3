"""Reading a filled fullmakt form back (rule 6): safe unpacking first, then the checks.

The file is untrusted. Before openpyxl sees it: the size is limited, the ZIP
structure, member count and declared uncompressed size are checked (zipfile
never unpacks more than a member declares), macro-enabled and old OLE2 (.xls)
workbooks are refused, and every XML member is parsed with defusedxml with
DTDs forbidden (no external entities, no entity expansion). Only then is the
workbook opened, read-only and without formulas.

Every problem is an English msgid naming the sheet row, so the user sees
where to correct the form; nothing here writes anything anywhere.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import asdict, dataclass
from typing import Any

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from access.fullmakt_form import (
    ADD_WORDS,
    END_WORDS,
    LAYOUTS,
    ROLE_NAMES,
    VERSION_CELL,
    VERSION_PREFIX,
    VERSION_PROPERTY,
    YES_WORDS,
    Layout,
)
from portal.models import Organisation

MAX_FORM_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 200
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_RATIO = 200  # declared uncompressed size per compressed byte, per member
EARLIEST_DATE = dt.date(2000, 1, 1)

_ZIP_SIGNATURE = b"PK\x03\x04"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DATE_TEXT = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
_ISO_DATE_TEXT = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def _words(msgid: str, fixed: frozenset[str]) -> frozenset[str]:
    """A choice word as the form wrote it in any of the portal's languages, lower case."""
    found = set(fixed)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(_(msgid).strip().lower())
    return frozenset(found)


class FormRefused(Exception):
    """The file can't be read or the form is not right; ``errors`` say why, for the user."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class PersonRow:
    row: int  # the sheet row, as the user sees it in Excel
    name: str
    email: str
    employee_number: str
    role: str  # RoleType code
    action: str  # "add" or "end"
    date: str  # ISO date

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)


@dataclass(frozen=True)
class FormReading:
    version: str
    org_name: str
    org_number: str
    rows: list[PersonRow]
    signer_name: str
    signer_title: str
    signer_confirmed: bool
    signer_date: dt.date | None

    def rows_json(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in self.rows]


def read_form(content: bytes, name: str, organisation: Organisation) -> FormReading:
    """Check the file, then the form; raises FormRefused with every problem found."""
    _check_container(content, name)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise FormRefused([_("The file could not be read as an Excel workbook.")]) from error
    try:
        if not workbook.worksheets:
            raise FormRefused([_("The workbook has no sheets.")])
        sheet = workbook.worksheets[0]
        version = _version_of(sheet, workbook)
        layout = LAYOUTS.get(version)
        if layout is None:
            raise FormRefused(
                [
                    _(
                        "This version of the fullmakt form (%(version)s) can no longer be "
                        "read. Download the current form and fill it in again."
                    )
                    % {"version": version or "?"}
                ]
            )
        cells = _cells(sheet, layout)
    finally:
        workbook.close()
    words = {
        "yes": _words("Yes", YES_WORDS),
        "no": _words("No", frozenset({"nei", "no"})),
        "add": _words("Add", ADD_WORDS),
        "end": _words("End", END_WORDS),
    }
    return _check_form(cells, layout, organisation, words)


def _check_container(content: bytes, name: str) -> None:
    if len(content) > MAX_FORM_BYTES:
        raise FormRefused(
            [
                _("The file is larger than %(megabytes)d MB.")
                % {"megabytes": MAX_FORM_BYTES // (1024 * 1024)}
            ]
        )
    if not content:
        raise FormRefused([_("The file is empty.")])
    if content.startswith(_OLE2_SIGNATURE):
        raise FormRefused(
            [
                _(
                    "The file is in the old Excel format (.xls). Use the form from the portal "
                    "and save it as an Excel workbook (.xlsx)."
                )
            ]
        )
    lowered = name.lower()
    if lowered.endswith((".xlsm", ".xltm", ".xlsb")):
        raise _macro_refusal()
    if not content.startswith(_ZIP_SIGNATURE) or not lowered.endswith(".xlsx"):
        raise FormRefused([_("The file is not an Excel workbook (.xlsx).")])
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise _too_much()
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                raise _too_much()
            for member in members:
                if member.file_size > MAX_RATIO * max(member.compress_size, 1) + 1024:
                    raise _too_much()
            names = {member.filename.lower() for member in members}
            if len(names) != len(members):
                raise FormRefused([_("The file is damaged.")])
            if any("vbaproject" in member_name for member_name in names):
                raise _macro_refusal()
            if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
                raise FormRefused([_("The file is not an Excel workbook (.xlsx).")])
            for member in members:
                data = archive.read(member)
                if member.filename.lower() == "[content_types].xml" and (
                    b"macroenabled" in data.lower() or b"vbaproject" in data.lower()
                ):
                    raise _macro_refusal()
                if member.filename.lower().endswith((".xml", ".rels")):
                    safe_fromstring(data, forbid_dtd=True)
                elif b"<!doctype" in data.lower() or b"<!entity" in data.lower():
                    # Legacy VML and other parts openpyxl may not parse: no DTD either.
                    raise DTDForbidden(None, None, None)
    except DefusedXmlException as error:
        raise FormRefused(
            [_("The file contains XML that is not allowed (for example external entities).")]
        ) from error
    except (
        ParseError,
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        zlib.error,
    ):
        raise FormRefused([_("The file is damaged.")]) from None


def _macro_refusal() -> FormRefused:
    return FormRefused(
        [
            _(
                "Workbooks with macros (.xlsm) are not accepted. Save the form as an Excel "
                "workbook (.xlsx)."
            )
        ]
    )


def _too_much() -> FormRefused:
    return FormRefused([_("The file unpacks to too much data. It cannot be accepted.")])


def _version_of(sheet: Any, workbook: Any) -> str:
    row, column = _cell_ref(VERSION_CELL)
    first = next(sheet.iter_rows(min_row=row, max_row=row, max_col=column, values_only=True), ())
    stamp = _text(first[column - 1]) if len(first) >= column else ""
    if stamp.startswith(VERSION_PREFIX.strip()):
        return stamp[len(VERSION_PREFIX.strip()) :].strip()
    for prop in getattr(workbook, "custom_doc_props", []) or []:
        if getattr(prop, "name", "") == VERSION_PROPERTY:
            return _text(prop.value)
    return _text(getattr(workbook.properties, "version", "") or "")


def _cells(sheet: Any, layout: Layout) -> dict[tuple[int, int], Any]:
    """The values the layout uses, by (row, column); read once, row by row."""
    values: dict[tuple[int, int], Any] = {}
    last_row = layout.signer_row + 5
    for row_number, row in enumerate(
        sheet.iter_rows(min_row=1, max_row=last_row, max_col=layout.last_column, values_only=True),
        start=1,
    ):
        for column, value in enumerate(row, start=1):
            if value is not None:
                values[(row_number, column)] = value
    return values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> dt.date | None:
    """A date cell or text dd.mm.yyyy; None when it is not a valid date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    match = _DATE_TEXT.match(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        match = _ISO_DATE_TEXT.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _cell_ref(ref: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(ref)
    return row, column_index_from_string(letters)


def _check_form(
    cells: dict[tuple[int, int], Any],
    layout: Layout,
    organisation: Organisation,
    words: dict[str, frozenset[str]],
) -> FormReading:
    errors: list[str] = []
    org_name = _text(cells.get(_cell_ref(layout.org_name_cell)))
    org_number = re.sub(r"\s", "", _text(cells.get(_cell_ref(layout.org_number_cell))))
    org_row = _cell_ref(layout.org_number_cell)[0]
    if not org_number:
        errors.append(_("Row %(row)d: the organisation number is missing.") % {"row": org_row})
    elif org_number != re.sub(r"\s", "", organisation.org_number):
        errors.append(
            _(
                "Row %(row)d: the organisation number %(number)s is not the number of "
                "%(organisation)s. Use the form for your own organisation."
            )
            % {"row": org_row, "number": org_number, "organisation": organisation.name}
        )

    rows: list[PersonRow] = []
    for row in range(layout.first_person_row, layout.last_person_row + 1):
        values = [cells.get((row, column)) for column in range(1, layout.last_column + 1)]
        if all(_text(value) == "" for value in values):
            continue
        rows.extend(_check_row(cells, layout, row, errors, words))
    if not rows and not errors:
        errors.append(_("The form has no people to register. Fill in at least one row."))

    signer = layout.signer_row
    signer_name = _text(cells.get((signer + 1, 2)))
    signer_title = _text(cells.get((signer + 2, 2)))
    confirmed = _text(cells.get((signer + 3, 2))).lower() in words["yes"]
    signer_date_value = cells.get((signer + 4, 2))
    signer_date = _date(signer_date_value)
    if not signer_name:
        errors.append(_("Row %(row)d: the signer's name is missing.") % {"row": signer + 1})
    if not signer_title:
        errors.append(_("Row %(row)d: the signer's title is missing.") % {"row": signer + 2})
    if not confirmed:
        errors.append(
            _("Row %(row)d: the signer must confirm that they hold budget disposal authority.")
            % {"row": signer + 3}
        )
    if signer_date is None or signer_date < EARLIEST_DATE:
        errors.append(
            _("Row %(row)d: the date of signing is missing or not a valid date (dd.mm.yyyy).")
            % {"row": signer + 4}
        )
    if errors:
        raise FormRefused(errors)
    return FormReading(
        version=layout.version,
        org_name=org_name,
        org_number=org_number,
        rows=rows,
        signer_name=signer_name,
        signer_title=signer_title,
        signer_confirmed=confirmed,
        signer_date=signer_date,
    )


def _check_row(
    cells: dict[tuple[int, int], Any],
    layout: Layout,
    row: int,
    errors: list[str],
    words: dict[str, frozenset[str]],
) -> list[PersonRow]:
    found = len(errors)
    name = _text(cells.get((row, layout.name_column)))
    email = _text(cells.get((row, layout.email_column))).lower()
    employee = _text(cells.get((row, layout.employee_column)))
    action_word = _text(cells.get((row, layout.action_column))).lower()
    date_value = cells.get((row, layout.date_column))
    if not name:
        errors.append(_("Row %(row)d: the name is missing.") % {"row": row})
    if not email:
        errors.append(_("Row %(row)d: the e-mail address is missing.") % {"row": row})
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(_("Row %(row)d: the e-mail address is not valid.") % {"row": row})
    if not employee:
        errors.append(_("Row %(row)d: the employee number is missing.") % {"row": row})
    roles: list[str] = []
    if layout.role_column is not None:
        role_word = _text(cells.get((row, layout.role_column))).lower()
        if not role_word:
            errors.append(_("Row %(row)d: the role is missing.") % {"row": row})
        elif role_word not in ROLE_NAMES:
            errors.append(_("Row %(row)d: the role is not one we know.") % {"row": row})
        else:
            roles.append(ROLE_NAMES[role_word])
    else:
        for column, code in layout.role_columns.items():
            word = _text(cells.get((row, column))).lower()
            if word in words["yes"]:
                roles.append(code)
            elif word and word not in words["no"]:
                errors.append(_("Row %(row)d: write Yes or No in the role columns.") % {"row": row})
        if not roles:
            errors.append(_("Row %(row)d: choose at least one role.") % {"row": row})
    if action_word in words["add"]:
        action = "add"
    elif action_word in words["end"]:
        action = "end"
    else:
        action = ""
        errors.append(_("Row %(row)d: choose Add or End.") % {"row": row})
    day = _date(date_value)
    if date_value is None or _text(date_value) == "":
        errors.append(_("Row %(row)d: the date is missing.") % {"row": row})
    elif day is None or day < EARLIEST_DATE:
        errors.append(_("Row %(row)d: the date is not a valid date (dd.mm.yyyy).") % {"row": row})
    if len(errors) > found or day is None:
        return []
    return [
        PersonRow(
            row=row,
            name=name,
            email=email,
            employee_number=employee,
            role=role,
            action=action,
            date=day.isoformat(),
        )
        for role in roles
    ]
