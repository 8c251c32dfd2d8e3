"""The fullmakt form (Fullmaktsskjema) as an Excel file the portal generates (rule 6).

Sent in signed by the budget holder when nobody in the organisation can
appoint orderers (rule 5). This version lays out the form; reading a filled
form back is added with the form's upload.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from portal.models import Organisation

FORM_VERSION = "2022-11"
PEOPLE_ROWS = 15
FIRST_PERSON_ROW = 9
ROLE_CHOICES = ("Fullmakt", "Autorisert bestiller lønn", "Autorisert bestiller regnskap")
ACTION_CHOICES = ("Legg til", "Avslutt")


def build_form(organisation: Organisation | None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Fullmakt")
    bold = Font(bold=True)
    editable = Protection(locked=False)
    fill = PatternFill("solid", fgColor="FFF7E0")

    sheet["A1"] = _("Fullmakt form – authorised orderers")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["H1"] = f"Skjemaversjon {FORM_VERSION}"
    sheet["A3"], sheet["A4"] = _("Organisation"), _("Organisation number")
    for ref in ("A3", "A4"):
        sheet[ref].font = bold
    sheet["B3"] = organisation.name if organisation else ""
    sheet["B4"] = organisation.org_number if organisation else ""
    for ref in ("B3", "B4"):
        sheet[ref].protection = editable
        sheet[ref].fill = fill
        sheet[ref].number_format = "@"

    headers = [
        _("Name"),
        _("E-mail"),
        _("Employee number"),
        _("Role"),
        _("Add or end"),
        _("From date (dd.mm.yyyy)"),
    ]
    header_row = FIRST_PERSON_ROW - 1
    sheet.cell(row=header_row - 1, column=1, value=_("People to register")).font = bold
    for column, header in enumerate(headers, start=1):
        header_cell = sheet.cell(row=header_row, column=column, value=header)
        header_cell.font = bold
        header_cell.alignment = Alignment(wrap_text=True)
    last_row = FIRST_PERSON_ROW + PEOPLE_ROWS - 1
    for row in range(FIRST_PERSON_ROW, last_row + 1):
        for column in range(1, len(headers) + 1):
            cell = sheet.cell(row=row, column=column)
            cell.protection = editable
            cell.fill = fill
        sheet.cell(row=row, column=6).number_format = "DD.MM.YYYY"
        sheet.cell(row=row, column=3).number_format = "@"

    roles = DataValidation(type="list", formula1=f'"{",".join(ROLE_CHOICES)}"', allow_blank=True)
    actions = DataValidation(
        type="list", formula1=f'"{",".join(ACTION_CHOICES)}"', allow_blank=True
    )
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
    roles.error = _("Choose a role from the list.")
    dates.error = _("Write a date as dd.mm.yyyy.")
    for validation, letter in ((roles, "D"), (actions, "E"), (dates, "F")):
        validation.add(f"{letter}{FIRST_PERSON_ROW}:{letter}{last_row}")
        sheet.add_data_validation(validation)

    signer_row = last_row + 2
    sheet.cell(row=signer_row, column=1, value=_("Signed by the budget holder")).font = bold
    labels = [
        _("Name"),
        _("Title"),
        _("I confirm that I hold budget disposal authority (Ja/Nei)"),
        _("Date (dd.mm.yyyy)"),
        _("Signature"),
    ]
    confirm = DataValidation(type="list", formula1='"Ja,Nei"', allow_blank=True)
    sheet.add_data_validation(confirm)
    for offset, label in enumerate(labels, start=1):
        sheet.cell(row=signer_row + offset, column=1, value=label).font = bold
        cell = sheet.cell(row=signer_row + offset, column=2)
        cell.protection = editable
        cell.fill = fill
    confirm.add(f"B{signer_row + 3}")
    sheet.cell(row=signer_row + 4, column=2).number_format = "DD.MM.YYYY"

    for letter, width in zip("ABCDEF", (34, 32, 18, 30, 14, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.protection.sheet = True
    sheet.protection.formatRows = False
    sheet.protection.formatColumns = False

    guide = workbook.create_sheet(_("Instructions"))
    lines = [
        _("How to use the fullmakt form"),
        _("1. Check the organisation's name and number at the top."),
        _(
            "2. Write one line per person and role: name, e-mail, employee number, role, "
            "add or end, and the date."
        ),
        _("3. Print the form and have the person with budget disposal authority sign it."),
        _("4. Send this Excel file and the signed copy (PDF or picture) in a case in Kundesenter."),
        _("The customer centre checks the form and registers the roles."),
    ]
    for row, line in enumerate(lines, start=1):
        guide.cell(row=row, column=1, value=line).font = bold if row == 1 else Font()
    guide.column_dimensions["A"].width = 110

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
