"""Demo cases: a few hundred across organisations, statuses, channels and ten years.

Written straight to the tables (not through the services) so that history can
carry its own dates; the numbers still come from the case table's sequence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from django.core.files.base import ContentFile
from django.utils import timezone

from cases.models import Attachment, Case, Message, StatusChange, SubjectArea
from portal.dates import OSLO
from portal.models import ApiClient, Area, Organisation, User, filing_permission
from portal.teams import works_area

CASES_PER_ORGANISATION = 60
YEARS = 10

TITLES = {
    Area.PAYROLL: [
        "Feil skattetrekk i {month}lønna",
        "Manglende utbetaling av overtid for {month}",
        "Spørsmål om feriepenger {year}",
        "Ny ansatt mangler i lønnssystemet",
        "Korrigering av A-melding for {month}",
        "Refusjon av sykepenger fra NAV",
        "Reiseregning avvist uten begrunnelse",
        "Endring av stillingsprosent fra 1. {month}",
        "Lønnsoppgjøret {year}: etterbetaling",
        "Trekk for fagforening vises ikke på lønnsslippen",
        "Permisjon uten lønn registrert feil",
        "Pensjonstrekk SPK ser feil ut",
    ],
    Area.ACCOUNTING: [
        "Faktura fra leverandør står fast i godkjenning",
        "Avstemming av bankkonto for {month}",
        "Spørsmål om periodisering ved årsoppgjøret {year}",
        "Feil koststed på bilag",
        "Rapport for {month} mangler prosjekttall",
        "Kreditnota er ikke motregnet",
        "Ny leverandør må opprettes",
        "Mva-kode på innkjøp fra utlandet",
        "Budsjettdisponent får ikke attestert",
        "Månedsrapport {month} {year} viser feil saldo",
    ],
}
MONTHS = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
]
CUSTOMER_LINES = [
    "Vi ser at beløpet avviker fra forrige måned. Kan dere sjekke?",
    "Vedlagt ligger dokumentasjonen dere ba om.",
    "Takk for svar. Vi venter på bekreftelse fra leder.",
    "Dette gjelder tre ansatte i avdelingen vår.",
]
STAFF_LINES = [
    "Takk for henvendelsen. Vi ser på saken og kommer tilbake til dere.",
    "Vi har rettet feilen. Endringen vises i neste lønnskjøring.",
    "Kan dere sende oss en oversikt over hvilke ansatte det gjelder?",
    "Saken er løst. Ta kontakt hvis noe fortsatt er uklart.",
]


def load(organisations: dict[str, Organisation], people: dict[str, User]) -> int:
    """Create the demo cases once. Returns how many were created (0 on a second run)."""
    demo_orgs = [o for o in organisations.values() if o.areas]
    if Case.objects.filter(organisation__in=demo_orgs).exists():
        return 0
    rng = random.Random(20221109)  # noqa: S311 - demo data; the release date: same every time
    members = {
        org.pk: [u for u in people.values() if u.memberships.filter(organisation=org).exists()]
        for org in demo_orgs
    }
    staff = [u for u in people.values() if u.is_staff]
    subject_areas = {area: list(SubjectArea.objects.filter(category=area)) for area in Area}
    now = timezone.now()
    created = 0
    for organisation in demo_orgs:
        for _ in range(CASES_PER_ORGANISATION):
            category = rng.choice(organisation.areas)
            created_at = now - dt.timedelta(
                days=rng.triangular(0, YEARS * 365, 0), minutes=rng.randint(0, 600)
            )
            _make_case(rng, organisation, category, created_at, members, staff, subject_areas)
            created += 1
    return created


def _filing_client(organisation: Organisation, category: Area) -> ApiClient | None:
    """The organisation's system that may file cases of ``category`` through the API, if any
    (Fjordetaten's demo HR system, registered before the cases: access/demo.py)."""
    for client in ApiClient.objects.in_force().filter(organisation=organisation):
        if client.may(filing_permission(category)):
            return client
    return None


def _make_case(
    rng: random.Random,
    organisation: Organisation,
    category: Area,
    created_at: dt.datetime,
    members: dict[int, list[User]],
    staff: list[User],
    subject_areas: dict[Area, list[SubjectArea]],
) -> None:
    local = created_at.astimezone(OSLO)
    title = rng.choice(TITLES[category]).format(month=MONTHS[local.month - 1], year=local.year)
    channel = rng.choices(list(Case.Channel), weights=[76, 12, 7, 5])[0]
    reporter = rng.choice(members[organisation.pk]) if members[organisation.pk] else None
    client = _filing_client(organisation, category) if channel == Case.Channel.API else None
    if channel == Case.Channel.API and client is None:
        channel = Case.Channel.PORTAL  # the organisation has no system that files these
    if client is not None:
        reporter = None  # filed by the organisation's system: nobody's own case
    elif channel != Case.Channel.PORTAL and rng.random() < 0.5:
        reporter = None  # came by e-mail or phone from someone without a login
    age_days = (timezone.now() - created_at).days
    if age_days > 365:
        status = Case.Status.CLOSED
    else:
        status = rng.choices(list(Case.Status), weights=[20, 25, 15, 10, 30])[0]
    team = [person for person in staff if works_area(person, category)]
    handler = rng.choice(team) if team else None
    case = Case.objects.create(
        organisation=organisation,
        category=category,
        subject_area=rng.choice(subject_areas[category]),
        title=title,
        description=f"{title}.\n\n{rng.choice(CUSTOMER_LINES)}",
        channel=channel,
        reported_by=reporter,
        api_client=client,
        registered_by=handler if channel in (Case.Channel.EMAIL, Case.Channel.PHONE) else None,
        status=Case.Status.ACTIVE,
        assigned_to=handler if status != Case.Status.ACTIVE else None,
        created_at=created_at,
        updated_at=created_at,
    )
    StatusChange.objects.create(
        case=case, to_status=Case.Status.ACTIVE, changed_by=reporter, changed_at=created_at
    )
    moment = customer_activity = created_at
    for turn in range(rng.randint(1, 4)):
        moment += dt.timedelta(hours=rng.randint(1, 72))
        from_staff = turn % 2 == 0
        Message.objects.create(
            case=case,
            author=handler if from_staff else reporter,
            api_client=None if from_staff else client,
            from_staff=from_staff,
            body=rng.choice(STAFF_LINES if from_staff else CUSTOMER_LINES),
            created_at=moment,
        )
        if not from_staff:
            customer_activity = moment
    if rng.random() < 0.1:
        content = f"Oversikt for {case.number}\nAnsatt;Beløp\n1001;12 500\n".encode()
        attachment = Attachment(
            case=case,
            name="oversikt.csv",
            content_type="text/csv",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=reporter,
            created_at=created_at,
        )
        attachment.file.save("oversikt.csv", ContentFile(content), save=False)
        attachment.save()
    if status != Case.Status.ACTIVE:
        moment = min(moment + dt.timedelta(hours=rng.randint(1, 48)), timezone.now())
        StatusChange.objects.create(
            case=case,
            from_status=Case.Status.ACTIVE,
            to_status=status,
            changed_by=handler,
            changed_at=moment,
        )
    last = min(moment, timezone.now())
    Case.objects.filter(pk=case.pk).update(
        status=status,
        updated_at=last,
        status_since=last if status != Case.Status.ACTIVE else created_at,
        customer_activity_at=min(customer_activity, timezone.now()),
    )
