"""Demo work for the support desk: an order, an appointment request and a scanned
fullmakt form waiting for a decision, each made through the customer's own service
(so the desk's queue has something to decide after ``make run``); and Fjordetaten's
HR system, registered for the API, so that a newcomer can try it with a token from
``manage.py dev_issuer token``."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from access.drafts import DraftLineInput, do_draft_order
from access.fullmakt_services import do_submit_fullmakt
from access.integrations import do_register_client, grantable_permissions
from access.models import (
    Appointment,
    FullmaktSubmission,
    Order,
    OrderDraft,
    OrderLine,
    SystemRole,
)
from access.ordering import LineInput, do_submit_order
from access.services import do_request_appointment
from cases.uploads import check_upload
from portal.dates import today as oslo_today
from portal.demo import DEMO_API_CLIENT_ID
from portal.models import ApiClient, Area, Organisation, User

# The smallest PDF a scanner could have made: the signed copy of Jon's form.
SIGNED_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


DEMO_API_CLIENT_NAME = "HR-systemet (demo)"
DEMO_API_CLIENT_MAY = (
    ApiClient.Permission.FILE_PAYROLL,
    ApiClient.Permission.FILE_ACCOUNTING,
    ApiClient.Permission.READ_OWN,
    ApiClient.Permission.DRAFT_ORDERS,
)


def load_api_clients(organisations: dict[str, Organisation], people: dict[str, User]) -> int:
    """Fjordetaten's HR system, registered by Kari (autorisert bestiller lønn) through the
    same service as on Min side, unless a registration of it is in force already."""
    fjordetaten = organisations["fjordetaten"]
    registered = ApiClient.objects.in_force().filter(
        organisation=fjordetaten, client_id=DEMO_API_CLIENT_ID
    )
    if registered.exists():
        return 0
    offered = set(grantable_permissions(people["kari"], fjordetaten))
    do_register_client(
        actor=people["kari"],
        organisation=fjordetaten,
        client_id=DEMO_API_CLIENT_ID,
        name=DEMO_API_CLIENT_NAME,
        permissions=[permission for permission in DEMO_API_CLIENT_MAY if permission in offered],
    )
    return 1


def load(organisations: dict[str, Organisation], people: dict[str, User]) -> int:
    """Make what is missing; returns how many were made (0 on a second run)."""
    fjordetaten, fjellskolen = organisations["fjordetaten"], organisations["fjellskolen"]
    today = oslo_today()
    made = 0
    if not Order.objects.filter(organisation=fjordetaten).exists():
        role = SystemRole.objects.filter(system__area=Area.PAYROLL, is_active=True).first()
        if role is not None:
            line = LineInput(
                system_role=role,
                action=OrderLine.Action.GRANT,
                valid_from=today,
                person=people["per"],
            )
            do_submit_order(
                actor=people["kari"],
                organisation=fjordetaten,
                area=Area.PAYROLL,
                lines=[line],
                comment="Per skal føre timelister for avdelingen.",
            )
            made += 1
    if not Appointment.objects.filter(organisation=fjordetaten).exists():
        do_request_appointment(
            actor=people["ola"],
            organisation=fjordetaten,
            area=Area.PAYROLL,
            action=Appointment.Action.APPOINT,
            person=people["mona"],
            valid_from=today,
            comment="Mona bestiller lønnstilganger når Kari har ferie.",
        )
        made += 1
    if not FullmaktSubmission.objects.filter(organisation=fjellskolen).exists():
        signed = check_upload(
            SimpleUploadedFile("fullmakt-signert.pdf", SIGNED_PDF, "application/pdf")
        )
        do_submit_fullmakt(
            actor=people["jon"], organisation=fjellskolen, reading=None, xlsx=None, signed=signed
        )
        made += 1
    system = ApiClient.objects.in_force().filter(
        organisation=fjordetaten, client_id=DEMO_API_CLIENT_ID
    )
    if system.exists() and not OrderDraft.objects.filter(organisation=fjordetaten).exists():
        role = SystemRole.objects.filter(system__area=Area.PAYROLL, is_active=True).first()
        if role is not None:
            # The HR system's draft for a new employee, waiting for Kari on the order page.
            do_draft_order(
                actor=system.get(),
                organisation=fjordetaten,
                area=Area.PAYROLL,
                lines=[
                    DraftLineInput(
                        system_role=f"{role.system.code}/{role.code}",
                        action=OrderLine.Action.GRANT,
                        valid_from=today,
                        new_person_name="Nora Nyansatt",
                        new_person_email="nora.nyansatt@fjordetaten.example.no",
                        employee_number="10231",
                    )
                ],
                comment="Ny saksbehandler i lønnsseksjonen fra HR-systemet.",
            )
            made += 1
    return made
