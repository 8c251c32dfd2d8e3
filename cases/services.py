"""Writes that span several rows of a case, each in one transaction.

Every function takes the acting user as keyword-only ``actor`` and asks the
same questions whoever calls it (a page, the admin, another service): a
customer must pass the gate and see the case (rule 1); staff must work the
case's area (their team). A refusal is ``portal.services.Refused``. News is
told through the task queue, deferred in the change's own transaction
(``cases.notify.announce_news``): a rolled-back change never tells anyone
anything, and a committed one always does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import notify
from cases.models import (
    Attachment,
    Case,
    CaseChange,
    Message,
    StatusChange,
    SubjectArea,
    handed_back_by_customer,
)
from cases.uploads import CheckedUpload
from portal.models import ApiClient, Organisation, User, filing_permission
from portal.organisations import client_in_force, is_active_member
from portal.services import Refused, write_audit
from portal.teams import works_area


class DuplicateSubmission(Exception):
    """The same form was submitted twice; ``existing`` is what the first one made."""

    def __init__(self, existing: Case | Message) -> None:
        super().__init__("duplicate submission")
        self.existing = existing


class InEachLanguage(NamedTuple):
    """Text the portal writes for a case (its title, its description), in each language."""

    nb: str
    nn: str
    en: str


def in_each_language(render: Callable[[], str]) -> InEachLanguage:
    """``render()`` in bokmål, nynorsk and English: the title or description of a case the
    portal writes, which each reader reads in their own language (``Case.shown_title``,
    ``Case.shown_description``); search, sort and the admin read the bokmål one. Why
    stored rather than rendered at every read: docs/decisions.md.
    """
    texts = []
    for language in ("nb", "nn", "en"):
        with translation.override(language):
            texts.append(render())
    return InEachLanguage(*texts)


def _texts(field: str, text: str | InEachLanguage, limit: int | None = None) -> dict[str, str]:
    """The model fields for ``text``: one (a customer's words) or one per language."""
    if isinstance(text, str):
        return {field: text[:limit]}
    return {field: text.nb[:limit], f"{field}_nn": text.nn[:limit], f"{field}_en": text.en[:limit]}


def do_create_case(
    *,
    actor: User | ApiClient,
    organisation: Organisation,
    subject_area: SubjectArea,
    title: str | InEachLanguage,
    description: str | InEachLanguage,
    uploads: Iterable[CheckedUpload] = (),
    channel: Case.Channel = Case.Channel.PORTAL,
    reported_by: User | None = None,
    on_behalf: bool = False,
    submission_key: uuid.UUID | None = None,
) -> Case:
    """A new case with its first attachments.

    A customer reports for themselves, in an organisation they pass the gate for.
    Staff register a case that came by e-mail or phone (``on_behalf``) for the
    customer who sent it (``reported_by``, a member), or for nobody when the
    sender is not a user; only the area's team does. One of the organisation's
    systems (an ``ApiClient``, through the API) files in the areas its registration
    allows, as nobody's case: it is the organisation's, read through the API and by
    those with utvidet tilgang in its category (rule 1).
    """
    if isinstance(actor, ApiClient):
        _check_client_files(actor, organisation, subject_area)
        channel, reporter, client = Case.Channel.API, None, actor
        staff_actor: User | None = None
    else:
        if channel == Case.Channel.API:
            raise Refused(_("Only the organisation's own systems file cases through the API."))
        reporter, client, staff_actor = actor, None, actor
    if on_behalf and staff_actor is not None:
        if not works_area(staff_actor, subject_area.category):
            raise Refused(_("Only the area's team registers cases on behalf of a customer."))
        reporter = reported_by
    if reporter is not None and not is_active_member(reporter, organisation):
        raise Refused(_("The reporter must be a member of the organisation."))
    if submission_key is not None:
        existing = Case.objects.filter(reported_by=reporter, submission_key=submission_key).first()
        if existing is not None:
            raise DuplicateSubmission(existing)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            now = timezone.now()
            case = Case.objects.create(
                organisation=organisation,
                category=subject_area.category,
                subject_area=subject_area,
                **_texts("title", title, limit=300),
                **_texts("description", description),
                channel=channel,
                reported_by=reporter,
                api_client=client,
                registered_by=staff_actor if on_behalf else None,
                created_at=now,
                updated_at=now,
                customer_activity_at=now,
                status_since=now,
                submission_key=submission_key,
            )
            StatusChange.objects.create(
                case=case,
                from_status="",
                to_status=case.status,
                changed_by=staff_actor,
                changed_at=now,
            )
            for upload in uploads:
                stored.append(_store_attachment(case, None, upload, staff_actor, internal=False))
            if client is not None:
                write_audit(
                    actor=None,
                    api_client=client,
                    organisation=organisation,
                    action="api.case_filed",
                    summary=f"{case.number}: {case.title}",
                    after={"case": case.number, "client_id": client.client_id},
                )
    except IntegrityError:
        _remove_files(stored)
        if submission_key is not None:
            existing = Case.objects.filter(
                reported_by=reporter, submission_key=submission_key
            ).first()
            if existing is not None:
                raise DuplicateSubmission(existing) from None
        raise
    except BaseException:
        _remove_files(stored)
        raise
    return case


def do_add_message(
    *,
    actor: User | ApiClient,
    case: Case,
    body: str | InEachLanguage,
    uploads: Iterable[CheckedUpload] = (),
    internal: bool = False,
    submission_key: uuid.UUID | None = None,
    then_status: Case.Status | None = None,
) -> Message:
    """Add to the conversation.

    A customer's message on a case that waits for the customer, or is closed, hands
    it back to the team as Aktiv (rule 2, ``handed_back_by_customer``). A staff answer
    that the customer can see tells the reporter and the followers by e-mail. Staff
    may set the status in the same step (``then_status``: "Answer and set Waiting for
    customer"): one transaction, one e-mail. One of the organisation's systems writes
    as the customer, in the cases its registration lets it read.
    """
    client = actor if isinstance(actor, ApiClient) else None
    person = actor if isinstance(actor, User) else None
    from_staff = bool(person is not None and person.is_staff)
    if client is not None:
        if not Case.objects.visible_to_client(client).filter(pk=case.pk).exists():
            raise Refused(_("You cannot write in this case."))
    elif from_staff and not works_area(actor, case.category):
        raise Refused(_("Only the area's team answers this case."))
    if then_status is not None and not from_staff:
        raise Refused(_("Only the customer centre sets the status of a case."))
    if (
        person is not None
        and not from_staff
        and not Case.objects.visible_to(person, case.organisation).filter(pk=case.pk).exists()
    ):
        raise Refused(_("You cannot write in this case."))
    if internal and not from_staff:
        raise Refused(_("Only the customer centre writes internal notes."))
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            # After the lock: the same form sent twice at once (a double click, a
            # retrying proxy) waits here for the first and then finds its message.
            if submission_key is not None:
                existing = Message.objects.filter(
                    case=case, author=person, submission_key=submission_key
                ).first()
                if existing is not None:
                    raise DuplicateSubmission(existing)
            now = timezone.now()
            message = Message.objects.create(
                case=locked,
                author=person,
                api_client=client,
                from_staff=from_staff,
                is_internal=internal,
                **_texts("body", body),
                created_at=now,
                submission_key=submission_key,
            )
            for upload in uploads:
                stored.append(_store_attachment(locked, message, upload, person, internal=internal))
            handed_back = None if from_staff else handed_back_by_customer(locked.status)
            if handed_back is not None:
                _record_status(locked, Case.Status.ACTIVE, person, now, reason=handed_back)
            if then_status is not None and then_status != locked.status:
                _record_status(locked, then_status, person, now)
            if client is not None:
                write_audit(
                    actor=None,
                    api_client=client,
                    organisation=locked.organisation,
                    action="api.message_added",
                    summary=f"{locked.number}",
                    after={
                        "case": locked.number,
                        "message": message.pk,
                        "client_id": client.client_id,
                    },
                )
            if not from_staff:
                Case.objects.filter(pk=locked.pk).update(customer_activity_at=now)
            locked.touch(now)
            told = then_status == Case.Status.WAITING_FOR_CUSTOMER
            if from_staff and (not internal or told):
                notify.announce_news(locked, f"message:{message.pk}")
    except BaseException:
        _remove_files(stored)
        raise
    case.refresh_from_db()
    return message


@transaction.atomic
def do_change_status(
    *, actor: User, case: Case, status: Case.Status, reason: str = ""
) -> StatusChange | None:
    """Staff set the status. Waiting for customer tells the customer by e-mail."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if not works_area(actor, locked.category):
        raise Refused(_("Only the area's team sets the status of this case."))
    if locked.status == status:
        return None
    now = timezone.now()
    change = _record_status(locked, status, actor, now, reason=reason)
    locked.touch(now)
    if status == Case.Status.WAITING_FOR_CUSTOMER:
        notify.announce_news(locked, f"status:{change.pk}")
    case.refresh_from_db()
    return change


@transaction.atomic
def do_update_case_by_staff(
    *, actor: User, case: Case, subject_area: SubjectArea, assigned_to: User | None
) -> Case:
    """Staff correct the subject area or (re)assign the case; the customer's own words (title,
    description) are never edited. Each change is in the audit trail."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if not works_area(actor, locked.category) or not works_area(actor, subject_area.category):
        raise Refused(_("Only the area's team changes this case."))
    if assigned_to is not None and not works_area(assigned_to, subject_area.category):
        raise Refused(
            _("%(person)s is not on the team that works this case.") % {"person": assigned_to}
        )
    before = {"subject_area": locked.subject_area_id, "assigned_to": locked.assigned_to_id}
    after = {
        "subject_area": subject_area.pk,
        "assigned_to": assigned_to.pk if assigned_to else None,
    }
    if before == after:
        return locked
    now = timezone.now()
    if locked.subject_area_id != subject_area.pk:
        CaseChange.objects.create(
            case=locked,
            what=CaseChange.What.SUBJECT_AREA,
            from_subject_area_id=locked.subject_area_id,
            to_subject_area=subject_area,
            changed_by=actor,
            changed_at=now,
        )
    if locked.assigned_to_id != (assigned_to.pk if assigned_to else None):
        CaseChange.objects.create(
            case=locked,
            what=CaseChange.What.ASSIGNED_TO,
            from_user_id=locked.assigned_to_id,
            to_user=assigned_to,
            changed_by=actor,
            changed_at=now,
        )
    locked.subject_area = subject_area
    locked.category = subject_area.category
    locked.assigned_to = assigned_to
    locked.updated_at = now
    locked.save(update_fields=["subject_area", "category", "assigned_to", "updated_at"])
    write_audit(
        actor=actor,
        organisation=locked.organisation,
        action="case.changed",
        summary=f"Sak {locked.number}: saksbehandling endret",
        before=before,
        after=after,
    )
    case.refresh_from_db()
    return locked


def _record_status(
    case: Case, status: str, actor: User | None, moment: dt.datetime, reason: str = ""
) -> StatusChange:
    change = StatusChange.objects.create(
        case=case,
        from_status=case.status,
        to_status=status,
        changed_by=actor,
        changed_at=moment,
        reason=reason,
    )
    case.status = status
    case.status_since = moment
    Case.objects.filter(pk=case.pk).update(status=status, status_since=moment)
    return change


def _check_client_files(client: ApiClient, organisation: Organisation, area: SubjectArea) -> None:
    """May this system file a case in ``area`` for ``organisation`` now (the API's gate)?"""
    if not client_in_force(client, organisation):
        raise Refused(_("This system is not registered for the organisation."))
    if not client.may(filing_permission(area.category)):
        raise Refused(
            _("This system is not registered to file %(area)s cases.")
            % {"area": area.get_category_display().lower()}
        )


def _store_attachment(
    case: Case,
    message: Message | None,
    upload: CheckedUpload,
    actor: User | None,
    *,
    internal: bool,
) -> Attachment:
    """The file first, completely, then its row, in the caller's transaction: a committed
    row always names a whole file. A process killed before the commit leaves a file that
    no row names, which ``cases.files.sweep_orphan_files`` deletes; never a row without
    its file (docs/decisions.md, "Files and a killed submission")."""
    upload.upload.seek(0)
    attachment = Attachment(
        case=case,
        message=message,
        name=upload.name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        uploaded_by=actor,
        is_internal=internal,
    )
    attachment.file.save(upload.name, File(upload.upload), save=False)
    attachment.save()
    return attachment


def _remove_files(attachments: list[Attachment]) -> None:
    """Delete files written by a transaction that did not commit: a refusal stores nothing."""
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
