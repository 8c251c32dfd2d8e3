"""The fullmakt form (Fullmaktsskjema) as an Excel file the portal generates (rule 6).

Sent in signed by the budget holder when nobody in the organisation can
appoint orderers (rule 5). The form's version is stamped in cell H1 (visible),
in the workbook's core properties (``version``) and in a custom property
(``Skjemaversjon``). ``LAYOUTS`` describes every version the portal has ever
served, so an older form sent in later is still read (access.fullmakt_reading).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from portal.models import Organisation, RoleType

FORM_VERSION = "2022-12"
VERSION_CELL = "H1"
VERSION_PREFIX = "Skjemaversjon "
VERSION_PROPERTY = "Skjemaversjon"
PEOPLE_ROWS = 20

# Words the reader accepts in choice cells, whatever the form's language was.
YES_WORDS = frozenset({"ja", "yes"})
ADD_WORDS = frozenset({"legg til", "add"})
END_WORDS = frozenset({"avslutt", "end"})
# The first version had one role per row, named in Norwegian.
ROLE_NAMES = {
    "fullmakt": RoleType.FULLMAKT,
    "autorisert bestiller lønn": RoleType.PAYROLL_ORDERER,
    "autorisert bestiller regnskap": RoleType.ACCOUNTING_ORDERER,
}
ROLE_CHOICES = ("Fullmakt", "Autorisert bestiller lønn", "Autorisert bestiller regnskap")
ACTION_CHOICES = ("Legg til", "Avslutt")


@dataclass(frozen=True)
class Layout:
    """Where a version of the form keeps what the reader needs (1-based rows and columns)."""

    version: str
    org_name_cell: str
    org_number_cell: str
    first_person_row: int
    people_rows: int
    name_column: int
    email_column: int
    employee_column: int
    action_column: int
    date_column: int
    # Either one column naming the role (version 2022-11) or one yes/no column per role.
    role_column: int | None = None
    role_columns: dict[int, str] = field(default_factory=dict)

    @property
    def last_person_row(self) -> int:
        return self.first_person_row + self.people_rows - 1

    @property
    def signer_row(self) -> int:
        """The heading row of the signer block; its fields follow in column B."""
        return self.last_person_row + 2

    @property
    def last_column(self) -> int:
        return max(
            self.name_column,
            self.email_column,
            self.employee_column,
            self.action_column,
            self.date_column,
            self.role_column or 0,
            *self.role_columns,
        )


LAYOUTS: dict[str, Layout] = {
    "2022-11": Layout(
        version="2022-11",
        org_name_cell="B3",
        org_number_cell="B4",
        first_person_row=9,
        people_rows=15,
        name_column=1,
        email_column=2,
        employee_column=3,
        role_column=4,
        action_column=5,
        date_column=6,
    ),
    "2022-12": Layout(
        version="2022-12",
        org_name_cell="B3",
        org_number_cell="B4",
        first_person_row=9,
        people_rows=PEOPLE_ROWS,
        name_column=1,
        email_column=2,
        employee_column=3,
        role_columns={
            4: RoleType.FULLMAKT,
            5: RoleType.PAYROLL_ORDERER,
            6: RoleType.ACCOUNTING_ORDERER,
        },
        action_column=7,
        date_column=8,
    ),
}
CURRENT_LAYOUT = LAYOUTS[FORM_VERSION]


def build_form(organisation: Organisation | None) -> bytes:
    """The current version of the form in the active language, prefilled when we can."""
    layout = CURRENT_LAYOUT
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Fullmakt")
    bold = Font(bold=True)
    editable = Protection(locked=False)
    fill = PatternFill("solid", fgColor="FFF7E0")

    sheet["A1"] = _("Fullmakt form – authorised orderers")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet[VERSION_CELL] = f"{VERSION_PREFIX}{FORM_VERSION}"
    sheet["A2"] = _("Fill in the yellow cells. The other cells are protected.")
    sheet["A3"], sheet["A4"] = _("Organisation"), _("Organisation number")
    for ref in ("A3", "A4"):
        sheet[ref].font = bold
    sheet[layout.org_name_cell] = organisation.name if organisation else ""
    sheet[layout.org_number_cell] = organisation.org_number if organisation else ""
    for ref in (layout.org_name_cell, layout.org_number_cell):
        sheet[ref].protection = editable
        sheet[ref].fill = fill
        sheet[ref].number_format = "@"

    yes, no = _("Yes"), _("No")
    headers = {
        layout.name_column: _("Name"),
        layout.email_column: _("E-mail"),
        layout.employee_column: _("Employee number"),
        4: _("Fullmakt"),
        5: _("Authorised orderer, payroll"),
        6: _("Authorised orderer, accounting"),
        layout.action_column: _("Add or end"),
        layout.date_column: _("From date (dd.mm.yyyy); for an end, the last day"),
    }
    header_row = layout.first_person_row - 1
    sheet.cell(row=header_row - 1, column=1, value=_("People to register")).font = bold
    for column, header in headers.items():
        header_cell = sheet.cell(row=header_row, column=column, value=header)
        header_cell.font = bold
        header_cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[header_row].height = 45
    for row in range(layout.first_person_row, layout.last_person_row + 1):
        for column in range(1, layout.last_column + 1):
            cell = sheet.cell(row=row, column=column)
            cell.protection = editable
            cell.fill = fill
        sheet.cell(row=row, column=layout.date_column).number_format = "DD.MM.YYYY"
        sheet.cell(row=row, column=layout.employee_column).number_format = "@"

    first, last = layout.first_person_row, layout.last_person_row
    yes_no = DataValidation(type="list", formula1=f'"{yes},{no}"', allow_blank=True)
    actions = DataValidation(type="list", formula1=f'"{_("Add")},{_("End")}"', allow_blank=True)
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
    for validation in (yes_no, actions):
        validation.error = _("Choose a value from the list.")
        validation.showErrorMessage = True
    dates.error = _("Write a date as dd.mm.yyyy.")
    dates.showErrorMessage = True
    yes_no.add(f"D{first}:F{last}")
    actions.add(f"G{first}:G{last}")
    dates.add(f"H{first}:H{last}")
    for validation in (yes_no, actions, dates):
        sheet.add_data_validation(validation)

    signer_row = layout.signer_row
    sheet.cell(row=signer_row, column=1, value=_("Signed by the budget holder")).font = bold
    labels = [
        _("Name"),
        _("Title"),
        _("I confirm that I hold budget disposal authority"),
        _("Date (dd.mm.yyyy)"),
        _("Signature"),
    ]
    for offset, label in enumerate(labels, start=1):
        label_cell = sheet.cell(row=signer_row + offset, column=1, value=label)
        label_cell.font = bold
        label_cell.alignment = Alignment(wrap_text=True)
        cell = sheet.cell(row=signer_row + offset, column=2)
        cell.protection = editable
        cell.fill = fill
    sheet.row_dimensions[signer_row + 5].height = 40
    confirm = DataValidation(type="list", formula1=f'"{yes},{no}"', allow_blank=True)
    confirm.add(f"B{signer_row + 3}")
    signed_on = DataValidation(type="date", operator="greaterThan", formula1="36526")
    signed_on.allow_blank = True
    signed_on.add(f"B{signer_row + 4}")
    sheet.add_data_validation(confirm)
    sheet.add_data_validation(signed_on)
    sheet.cell(row=signer_row + 4, column=2).number_format = "DD.MM.YYYY"

    for letter, width in zip("ABCDEFGH", (34, 32, 16, 12, 18, 18, 14, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.protection.sheet = True
    sheet.protection.formatRows = False
    sheet.protection.formatColumns = False

    guide = workbook.create_sheet(_("Instructions"))
    lines = [
        _("How to use the fullmakt form"),
        _("1. Check the organisation's name and number at the top."),
        _(
            "2. Write one line per person: name, e-mail, employee number, Yes for each role "
            "to add or end, Add or End, and the date."
        ),
        _("3. Print the form and have the person with budget disposal authority sign it."),
        _(
            "4. Send this Excel file and the signed copy (PDF or picture) in Kundesenter: "
            "Authorised orderers, Send the fullmakt form."
        ),
        _("The customer centre checks the form and registers the roles."),
        _("Do not change the layout of the form: the portal reads it back."),
    ]
    for row, line in enumerate(lines, start=1):
        guide.cell(row=row, column=1, value=line).font = bold if row == 1 else Font()
    guide.column_dimensions["A"].width = 110
    guide.protection.sheet = True

    workbook.properties.version = FORM_VERSION
    workbook.properties.title = _("Fullmakt form")
    custom_properties = workbook.custom_doc_props  # type: ignore[attr-defined]
    custom_properties.append(StringProperty(name=VERSION_PROPERTY, value=FORM_VERSION))

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
