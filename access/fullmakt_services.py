"""The fullmakt form's way through the customer centre (rules 5–7), each step in one transaction.

Submit (a customer: a case with both files) → verify (first staff member:
confirms the signer's budget disposal authority) → confirm (a second staff
member: every row is registered in the role register) — or reject. The
four-eyes rules are enforced here, whatever the admin showed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from access.fullmakt_reading import FormReading
from access.models import FullmaktStep, FullmaktSubmission
from access.services import _access_subject_area
from cases.models import Case
from cases.services import do_add_message, do_change_status, do_create_case, in_each_language
from cases.uploads import CheckedUpload
from portal.dates import today as oslo_today
from portal.models import Area, Organisation, RoleAssignment, RoleType, User
from portal.organisations import active_members
from portal.services import Refused, do_assign_role, do_end_role, write_audit
from portal.teams import works_area

ROW_KEYS = ("row", "name", "email", "employee_number", "role", "action", "date")
# A scanned form may lack the employee number: registering finds the person by e-mail.
REQUIRED_KEYS = tuple(key for key in ROW_KEYS if key != "employee_number")
KNOWN_ROLES = (RoleType.FULLMAKT, RoleType.PAYROLL_ORDERER, RoleType.ACCOUNTING_ORDERER)


class FullmaktRefused(Refused):
    """The step breaks a rule; ``reason`` says which."""


def form_area(role_codes: Iterable[str]) -> Area:
    """Which team a fullmakt form goes to (rule 6): the accounting team when every role
    it asks for is an accounting role; otherwise the payroll team, which holds the
    fullmakt register (fullmakt is the basis of rule 4's payroll orderers) and takes a
    form that asks for both areas, or whose rows are still to be keyed in."""
    codes = set(role_codes)
    areas = set(RoleType.objects.filter(code__in=codes).values_list("area", flat=True))
    if codes and areas == {Area.ACCOUNTING}:
        return Area.ACCOUNTING
    return Area.PAYROLL


def do_submit_fullmakt(
    *,
    actor: User,
    organisation: Organisation,
    reading: FormReading | None,
    xlsx: CheckedUpload | None,
    signed: CheckedUpload,
) -> FullmaktSubmission:
    """A case for the team of ``form_area`` with the form and the signed copy attached."""
    title = in_each_language(
        lambda: _("Fullmakt form: %(organisation)s") % {"organisation": organisation.name}
    )
    roles = {role.code: role for role in RoleType.objects.filter(code__in=KNOWN_ROLES)}

    def describe() -> str:
        if reading is None:
            return _("Signed fullmakt form without a readable Excel file: key it in.")
        lines = [
            f"{_('Row')} {row.row}: {row.name} ({row.email}, {row.employee_number}) – "
            f"{roles[row.role].name} – "
            f"{_('Add') if row.action == 'add' else _('End')} {row.day:%d.%m.%Y}"
            for row in reading.rows
        ]
        signed_on = f"{reading.signer_date:%d.%m.%Y}" if reading.signer_date else ""
        lines.append(f"{_('Signed by')}: {reading.signer_name}, {reading.signer_title} {signed_on}")
        return "\n".join(lines)

    description = in_each_language(describe)
    with transaction.atomic():
        case = do_create_case(
            actor=actor,
            organisation=organisation,
            subject_area=_access_subject_area(
                form_area(row.role for row in reading.rows) if reading else Area.PAYROLL
            ),
            title=title,
            description=description,
            uploads=[upload for upload in (xlsx, signed) if upload is not None],
        )
        attachments = {a.sha256: a for a in case.attachments.all()}
        submission = FullmaktSubmission.objects.create(
            case=case,
            organisation=organisation,
            form_version=reading.version if reading else "",
            rows=reading.rows_json() if reading else [],
            signer_name=reading.signer_name if reading else "",
            signer_title=reading.signer_title if reading else "",
            signer_confirmed=reading.signer_confirmed if reading else False,
            signer_date=reading.signer_date if reading else None,
            xlsx_attachment=attachments[xlsx.sha256] if xlsx else None,
            xlsx_sha256=xlsx.sha256 if xlsx else "",
            signed_attachment=attachments[signed.sha256],
            signed_sha256=signed.sha256,
            submitted_by=actor,
        )
        write_audit(
            actor=actor,
            organisation=organisation,
            action="fullmakt.submitted",
            summary=f"Fullmaktsskjema sendt inn (sak {case.number})",
            after={"submission": submission.pk, "rows": len(submission.rows), "case": case.number},
        )
    return submission


def _check_rows_fit_the_team(submission: FullmaktSubmission, rows: list[dict[str, Any]]) -> None:
    """The accounting team registers accounting roles only; rows asking for more go to the
    payroll team (``form_area``), so keying them in on an accounting case is refused."""
    if submission.case.category == Area.ACCOUNTING and (
        form_area(row["role"] for row in rows) != Area.ACCOUNTING
    ):
        raise FullmaktRefused(
            _(
                "The form asks for fullmakt or payroll roles, which the payroll team "
                "registers. Reject it with that reason, or ask the payroll team."
            )
        )


def check_rows(rows: Any) -> list[dict[str, Any]]:
    """Rows staff keyed in (or read from the form) in the shape registering needs."""
    if not isinstance(rows, list) or not rows:
        raise FullmaktRefused(_("The submission has no rows to register."))
    for row in rows:
        if not isinstance(row, dict) or any(not str(row.get(key, "")) for key in REQUIRED_KEYS):
            raise FullmaktRefused(
                _("Every row needs %(keys)s.") % {"keys": ", ".join(REQUIRED_KEYS)}
            )
        if row["role"] not in KNOWN_ROLES or row["action"] not in ("add", "end"):
            raise FullmaktRefused(_("A row has an unknown role or action."))
        try:
            dt.date.fromisoformat(str(row["date"]))
        except ValueError:
            raise FullmaktRefused(_("A row has a date that is not valid.")) from None
    return rows


def _check_staff(actor: User, submission: FullmaktSubmission) -> None:
    if not works_area(actor, submission.case.category):
        raise FullmaktRefused(_("Only the area's team at the customer centre handles this form."))
    if actor.pk == submission.case.reported_by_id:
        raise FullmaktRefused(_("You cannot handle a fullmakt form you sent in yourself."))


def _check_second_pair_of_eyes(actor: User, submission: FullmaktSubmission) -> None:
    verified = submission.verified_by
    if verified is not None and actor.pk == verified.pk:
        raise FullmaktRefused(
            _("A second staff member must confirm: you verified this form yourself.")
        )


def next_step_refusal(actor: User, submission: FullmaktSubmission) -> str | None:
    """Why ``actor`` may not take the form's next step now, or None: the four-eyes checks
    of the steps below (who handles the form, and who confirms), asked beforehand."""
    try:
        _check_staff(actor, submission)
        match submission.state:
            case FullmaktSubmission.State.VERIFIED:
                _check_second_pair_of_eyes(actor, submission)
            case FullmaktSubmission.State.REGISTERED | FullmaktSubmission.State.REJECTED:
                raise FullmaktRefused(_("This form has already been decided."))
    except FullmaktRefused as refusal:
        return refusal.reason
    return None


NEXT_STEP = {
    FullmaktSubmission.State.SUBMITTED: "verify",
    FullmaktSubmission.State.VERIFIED: "confirm",
}


def steps_open_to(actor: User, submission: FullmaktSubmission) -> list[str]:
    """The steps ``actor`` may take with the form now, as the desk offers them: the next
    one ("verify" or "confirm") where the four-eyes checks let them, and "reject" for
    anyone who handles the form while it is undecided. The services ask the same again."""
    next_step = NEXT_STEP.get(submission.state)  # type: ignore[call-overload]
    if next_step is None:
        return []
    try:
        _check_staff(actor, submission)
    except FullmaktRefused:
        return []
    if next_step_refusal(actor, submission) is None:
        return [next_step, "reject"]
    return ["reject"]


def _locked(submission: FullmaktSubmission) -> FullmaktSubmission:
    """The submission read anew under a lock on its case (the form and its steps are
    append-only rows, which cannot be locked), so two staff members take turns."""
    Case.objects.select_for_update().get(pk=submission.case_id)
    return (
        FullmaktSubmission.objects.select_related("case", "organisation")
        .prefetch_related("steps__taken_by")
        .get(pk=submission.pk)
    )


def do_key_in_fullmakt_rows(
    *, actor: User, submission: FullmaktSubmission, rows: Any
) -> FullmaktSubmission:
    """Staff key in the rows of a scanned form (or correct what was read), before verifying."""
    _check_staff(actor, submission)
    checked = check_rows(rows)
    with transaction.atomic():
        locked = _locked(submission)
        if locked.state != FullmaktSubmission.State.SUBMITTED:
            raise FullmaktRefused(_("The rows can only be changed before verifying."))
        _check_rows_fit_the_team(locked, checked)
        before = locked.current_rows
        FullmaktStep.objects.create(
            submission=locked, kind=FullmaktStep.Kind.KEYED_IN, taken_by=actor, rows=checked
        )
        write_audit(
            actor=actor,
            organisation=locked.organisation,
            action="fullmakt.rows_keyed_in",
            summary=f"Rader i fullmaktsskjema lagt inn (sak {locked.case.number})",
            before={"rows": before},
            after={"rows": checked},
            basis=f"Sak {locked.case.number}, SHA-256 {locked.signed_sha256}",
        )
    return locked


def do_verify_fullmakt(
    *, actor: User, submission: FullmaktSubmission, authority_confirmed: bool
) -> FullmaktSubmission:
    """The first staff member: has checked the signed copy and the signer's authority."""
    _check_staff(actor, submission)
    if not authority_confirmed:
        raise FullmaktRefused(
            _("Confirm that the signer holds budget disposal authority before verifying.")
        )
    with transaction.atomic():
        locked = _locked(submission)
        if locked.state != FullmaktSubmission.State.SUBMITTED:
            raise FullmaktRefused(_("This form is not waiting for verification."))
        # The verifier vouches for exactly these rows; the confirmer registers them.
        rows = check_rows(locked.current_rows)
        _check_rows_fit_the_team(locked, rows)
        FullmaktStep.objects.create(
            submission=locked,
            kind=FullmaktStep.Kind.VERIFIED,
            taken_by=actor,
            rows=rows,
            authority_confirmed=True,
        )
        locked = _locked(locked)
        write_audit(
            actor=actor,
            organisation=locked.organisation,
            action="fullmakt.verified",
            summary=f"Fullmaktsskjema verifisert (sak {locked.case.number})",
            before={"state": FullmaktSubmission.State.SUBMITTED},
            after={"state": locked.state, "signer": locked.signer_name},
            basis=f"Sak {locked.case.number}, SHA-256 {locked.signed_sha256}",
        )
    return locked


def do_confirm_fullmakt(*, actor: User, submission: FullmaktSubmission) -> FullmaktSubmission:
    """The second staff member: every row becomes a role assignment (or an ended one)."""
    _check_staff(actor, submission)
    with transaction.atomic():
        locked = _locked(submission)
        if locked.state != FullmaktSubmission.State.VERIFIED:
            raise FullmaktRefused(_("This form must be verified before it is confirmed."))
        _check_second_pair_of_eyes(actor, locked)
        rows = check_rows(locked.current_rows)
        _check_rows_fit_the_team(locked, rows)
        sha = locked.xlsx_sha256 or locked.signed_sha256
        evidence = f"Sak {locked.case.number}, SHA-256 {sha}"
        skipped = _register_rows(actor, locked, rows, evidence)
        if len(skipped) == len(rows):
            # Nothing would change: registering would say "registered" about nothing.
            # The rolled-back transaction keeps the form verified, to be rejected.
            raise FullmaktRefused(
                _(
                    "No row can be registered, so the form is not confirmed: %(reasons)s "
                    "Reject it with that reason."
                )
                % {"reasons": " ".join(skipped)}
            )
        FullmaktStep.objects.create(
            submission=locked,
            kind=FullmaktStep.Kind.REGISTERED,
            taken_by=actor,
            report="\n".join(skipped),
        )
        locked = _locked(locked)
        write_audit(
            actor=actor,
            organisation=locked.organisation,
            action="fullmakt.registered",
            summary=f"Fullmaktsskjema registrert (sak {locked.case.number})",
            before={"state": FullmaktSubmission.State.VERIFIED},
            after={"state": locked.state, "skipped": skipped},
            basis=evidence,
        )
        if skipped:  # for the support team: a note in bokmål
            do_add_message(actor=actor, case=locked.case, body="\n".join(skipped), internal=True)
        body = in_each_language(
            lambda: _("The fullmakt form is checked and the roles are registered.")
        )
        do_add_message(actor=actor, case=locked.case, body=body)
        do_change_status(actor=actor, case=locked.case, status=Case.Status.CLOSED)
    return locked


def _register_rows(
    actor: User, submission: FullmaktSubmission, rows: list[dict[str, Any]], evidence: str
) -> list[str]:
    skipped: list[str] = []
    today = oslo_today()
    for row in rows:
        label = f"Rad {row['row']} ({row['email']})"
        person = (
            active_members(submission.organisation)
            .filter(email__iexact=row["email"])
            .order_by("pk")
            .first()
        )
        if person is None:
            skipped.append(f"{label}: ingen bruker i virksomheten med denne e-postadressen.")
            continue
        if person.pk == actor.pk:
            skipped.append(f"{label}: gjelder deg selv; en annen saksbehandler må registrere.")
            continue
        role = RoleType.objects.get(code=row["role"])
        day = max(dt.date.fromisoformat(str(row["date"])), today)
        held = (
            RoleAssignment.objects.held_today()
            .filter(person=person, organisation=submission.organisation, role=role)
            .first()
        )
        if row["action"] == "add":
            if held is not None:
                skipped.append(f"{label}: har allerede {role.name_nb}.")
                continue
            do_assign_role(
                actor=actor,
                person=person,
                organisation=submission.organisation,
                role=role,
                valid_from=day,
                basis=RoleAssignment.Basis.FULLMAKT_FORM,
                evidence=evidence,
            )
        else:
            if held is None:
                skipped.append(f"{label}: har ikke {role.name_nb}.")
                continue
            do_end_role(
                actor=actor,
                assignment=held,
                valid_to=day,
                basis=RoleAssignment.Basis.FULLMAKT_FORM,
                evidence=evidence,
            )
    return skipped


def do_reject_fullmakt(
    *, actor: User, submission: FullmaktSubmission, reason: str
) -> FullmaktSubmission:
    _check_staff(actor, submission)
    if not reason.strip():
        raise FullmaktRefused(_("Give a reason for the decision."))
    with transaction.atomic():
        locked = _locked(submission)
        if locked.state in (
            FullmaktSubmission.State.REGISTERED,
            FullmaktSubmission.State.REJECTED,
        ):
            raise FullmaktRefused(_("This form has already been decided."))
        before = locked.state
        FullmaktStep.objects.create(
            submission=locked,
            kind=FullmaktStep.Kind.REJECTED,
            taken_by=actor,
            reason=reason.strip(),
        )
        locked = _locked(locked)
        write_audit(
            actor=actor,
            organisation=locked.organisation,
            action="fullmakt.rejected",
            summary=f"Fullmaktsskjema avvist (sak {locked.case.number})",
            before={"state": before},
            after={"state": locked.state, "reason": locked.decision_reason},
        )
        do_add_message(actor=actor, case=locked.case, body=locked.decision_reason)
        do_change_status(actor=actor, case=locked.case, status=Case.Status.CLOSED)
    return locked
