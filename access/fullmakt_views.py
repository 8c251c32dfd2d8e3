"""Sending the fullmakt form in: upload → review what the portal read → submit.

Between the review and the submit the two files are kept out of the database,
in the file storage (``STORAGES["default"]``, shared by every app process, so
the review may be answered by another machine than the upload): under
``held/fullmakt/<token>.<part>``, where the token is random
(secrets.token_urlsafe) and known only to the server-side session, and the
parts are the files and ``json``, who sent them and when. Held files expire
after ``HOLD_SECONDS`` (refused by the review at once, deleted by the queue's
hourly sweep, ``access.tasks``, by the time the storage last wrote them) and
are deleted after submit. On submit both files are checked
again from their content and the form read again, so nothing held is trusted.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from typing import Any, TypeGuard

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from access.fullmakt_reading import MAX_FORM_BYTES, FormReading, FormRefused, read_form
from access.fullmakt_services import FullmaktRefused, do_submit_fullmakt
from access.services import AppointmentRefused
from cases.uploads import CheckedUpload, check_upload
from portal.files import delete_older, walk
from portal.models import Organisation, RoleType
from portal.organisations import active_organisation, member_required, user_of

SESSION_KEY = "fullmakt_upload"
HOLD_SECONDS = 60 * 60
HELD = "held/fullmakt"
PARTS = ("json", "signed", "xlsx")
SIGNED_TYPES = ("application/pdf", "image/png", "image/jpeg")


class FullmaktUploadForm(forms.Form):
    form_file = forms.FileField(
        label=gettext_lazy("The filled fullmakt form (Excel, .xlsx)"),
        help_text=gettext_lazy(
            "The Excel file from the portal, filled in. At most 5 MB. If you only have a "
            "scanned form, leave this empty: the customer centre keys it in."
        ),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    signed_copy = forms.FileField(
        label=gettext_lazy("The signed copy (PDF, PNG or JPEG)"),
        help_text=gettext_lazy("The printed form, signed by the budget holder, scanned."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


def _held_name(token: str, part: str) -> str:
    return f"{HELD}/{token}.{part}"


def _is_token(token: object) -> TypeGuard[str]:
    return isinstance(token, str) and token.replace("-", "").replace("_", "").isalnum()


def sweep_held_files() -> list[str]:
    """Delete held files older than ``HOLD_SECONDS``: reviews never finished, and the
    parts of an upload whose process was killed before it wrote them all."""
    cutoff = timezone.now() - dt.timedelta(seconds=HOLD_SECONDS)
    return delete_older(default_storage, list(walk(default_storage, HELD)), cutoff)


def _check_signed(upload: UploadedFile[bytes]) -> CheckedUpload:
    checked = check_upload(upload)
    if checked.content_type not in SIGNED_TYPES:
        raise ValidationError(_("The signed copy must be a PDF, PNG or JPEG file."))
    return checked


def _check_form_file(
    upload: UploadedFile[bytes], organisation: Organisation
) -> tuple[CheckedUpload, FormReading]:
    if upload.size is not None and upload.size > MAX_FORM_BYTES:
        raise FormRefused(
            [
                _("The file is larger than %(megabytes)d MB.")
                % {"megabytes": MAX_FORM_BYTES // (1024 * 1024)}
            ]
        )
    content = upload.read(MAX_FORM_BYTES + 1)
    upload.seek(0)
    reading = read_form(content, upload.name or "", organisation)
    try:
        checked = check_upload(upload)
    except ValidationError as error:
        raise FormRefused(list(error.messages)) from None
    return checked, reading


def _store(files: dict[str, UploadedFile[bytes]], user_pk: int, organisation_pk: int) -> str:
    token = secrets.token_urlsafe(32)
    names = {}
    for key, upload in files.items():
        upload.seek(0)
        default_storage.save(_held_name(token, key), upload)
        names[key] = upload.name
    meta = {
        "created": time.time(),
        "user": user_pk,
        "organisation": organisation_pk,
        "names": names,
    }
    # Written last: without it the files are never read, only swept.
    default_storage.save(_held_name(token, "json"), ContentFile(json.dumps(meta).encode()))
    return token


def _read(token: str, part: str) -> bytes | None:
    try:
        with default_storage.open(_held_name(token, part), "rb") as handle:
            content: bytes = handle.read()
    except FileNotFoundError:
        return None
    return content


def _held(request: HttpRequest, organisation: Organisation) -> tuple[str, dict[str, Any]] | None:
    token = request.session.get(SESSION_KEY)
    if not _is_token(token):
        return None
    content = _read(token, "json")
    try:
        meta = json.loads(content) if content is not None else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        return None
    if (
        time.time() - meta.get("created", 0) > HOLD_SECONDS
        or meta.get("user") != request.user.pk
        or meta.get("organisation") != organisation.pk
    ):
        _discard(request)
        return None
    return token, meta


def _discard(request: HttpRequest) -> None:
    token = request.session.pop(SESSION_KEY, None)
    if _is_token(token):
        for part in PARTS:
            default_storage.delete(_held_name(token, part))


def _reopen(token: str, meta: dict[str, Any], key: str) -> SimpleUploadedFile | None:
    if key not in meta.get("names", {}):
        return None
    content = _read(token, key)
    if content is None:
        return None
    return SimpleUploadedFile(meta["names"][key], content)


def _role_names() -> dict[str, str]:
    return {role.code: role.name for role in RoleType.objects.all()}


@member_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    organisation = active_organisation(request)
    form = FullmaktUploadForm(request.POST or None, request.FILES or None)
    form_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        files: dict[str, UploadedFile[bytes]] = {}
        try:
            _check_signed(form.cleaned_data["signed_copy"])
            files["signed"] = form.cleaned_data["signed_copy"]
        except ValidationError as error:
            form.add_error("signed_copy", error)
        if form.cleaned_data["form_file"]:
            try:
                _check_form_file(form.cleaned_data["form_file"], organisation)
                files["xlsx"] = form.cleaned_data["form_file"]
            except FormRefused as refusal:
                form_errors = refusal.errors
                form.add_error(
                    "form_file",
                    _("The form could not be accepted. The problems are listed above."),
                )
        if not form.errors:
            _discard(request)
            request.session[SESSION_KEY] = _store(files, user_of(request).pk, organisation.pk)
            return redirect("access:fullmakt_review")
    return render(
        request,
        "access/fullmakt_upload.html",
        {"form": form, "form_errors": form_errors},
        status=400 if form.is_bound else 200,
    )


@member_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    organisation = active_organisation(request)
    held = _held(request, organisation)
    if held is None:
        messages.error(request, _("Choose the files again: they are kept for one hour at most."))
        return redirect("access:fullmakt_upload")
    token, meta = held
    signed_file = _reopen(token, meta, "signed")
    xlsx_file = _reopen(token, meta, "xlsx")
    try:
        if signed_file is None:
            raise FormRefused([_("The signed copy is missing.")])
        signed = _check_signed(signed_file)
        xlsx, reading = _check_form_file(xlsx_file, organisation) if xlsx_file else (None, None)
    except (FormRefused, ValidationError) as error:
        _discard(request)
        reasons = error.errors if isinstance(error, FormRefused) else error.messages
        for reason in reasons:
            messages.error(request, reason)
        return redirect("access:fullmakt_upload")
    if request.method == "POST":
        try:
            submission = do_submit_fullmakt(
                actor=user_of(request),
                organisation=organisation,
                reading=reading,
                xlsx=xlsx,
                signed=signed,
            )
        except (FullmaktRefused, AppointmentRefused) as refusal:
            messages.error(request, refusal.reason)
            return redirect("access:fullmakt_review")
        _discard(request)
        messages.success(
            request,
            _(
                "The fullmakt form is sent to the customer centre as case %(number)s. "
                "Two staff members check it before the roles are registered."
            )
            % {"number": submission.case.number},
        )
        return redirect(submission.case.get_absolute_url())
    return render(
        request,
        "access/fullmakt_review.html",
        {
            "reading": reading,
            "role_names": _role_names(),
            "signed_name": signed.name,
            "xlsx_name": xlsx.name if xlsx else "",
            "upload_url": reverse("access:fullmakt_upload"),
        },
    )
