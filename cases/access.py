"""The one door to cases: every view, download and export comes through here.

An outsider gets the same 404 for a case that exists as for one that does not,
so a case number reveals nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404

from cases.models import Attachment, Case
from portal.models import ApiClient


def get_case_for_user(user: Any, number: str) -> Case:
    """Case ``number`` if ``user`` may see it in its organisation (rule 1); else 404."""
    case = (
        Case.objects.select_related("organisation", "subject_area", "reported_by", "assigned_to")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404
    if not Case.objects.visible_to(user, case.organisation).filter(pk=case.pk).exists():
        raise Http404
    return case


def get_attachment_for_user(user: Any, number: str, attachment_id: int) -> Attachment:
    """An attachment the customer can see on a case they may see; internal ones never."""
    return _customers_attachment(get_case_for_user(user, number), attachment_id)


def _customers_attachment(case: Case, attachment_id: int) -> Attachment:
    """An attachment of ``case`` the customer's side may have: never an internal one."""
    attachment = case.attachments.filter(pk=attachment_id, is_internal=False).first()
    if attachment is None:
        raise Http404
    return attachment


def attachment_download(attachment: Attachment) -> FileResponse:
    """The file of an attachment the caller was let through to, as a private download."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def get_case_for_client(client: ApiClient, number: str) -> Case:
    """Case ``number`` if the organisation's system ``client`` may read it (rule 1 for
    systems, ``Case.objects.visible_to_client``); else 404, as for a person."""
    case = (
        Case.objects.visible_to_client(client)
        .select_related("organisation", "subject_area", "reported_by", "api_client")
        .filter(number=number.strip().upper())  # sak-2026-… is SAK-2026-…
        .first()
    )
    if case is None:
        raise Http404
    return case


def get_attachment_for_client(client: ApiClient, number: str, attachment_id: int) -> Attachment:
    """An attachment the customer can see, on a case the system may read; internal ones never."""
    return _customers_attachment(get_case_for_client(client, number), attachment_id)
