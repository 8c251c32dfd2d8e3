"""Fill a database with millions of realistic cases, fast: ``manage.py generate_cases``.

For benchmarks and load tests only. Organisations (``bench-org-NNN``) get a
skewed size distribution (the largest holds about a tenth of all cases),
users (``bench-user-NNNNN``) are spread over them by the same weights, and
every organisation gets a ``bench-viewer-NNN`` who holds utvidet tilgang in
both areas today and so sees all of its cases.

Cases are written with PostgreSQL COPY in one transaction, ids taken from the
table's sequence in creation order, so the case number (which carries the id)
sorts like the creation time, as in production. For a large load the
secondary indexes and foreign keys of ``cases_case`` are dropped first and
recreated afterwards from their own definitions (``pg_indexes``,
``pg_constraint``): building each index once is far cheaper than maintaining
all nineteen row by row. Into an empty table the rows go with COPY FREEZE,
so VACUUM has nothing left to do. A failure rolls the whole load back,
indexes included. Dropping indexes, TRUNCATE and VACUUM need the owner of the
tables: the command connects as the owner (DATABASE_OWNER_URL, portal/db/roles.py).

The same ``--seed`` on an empty database gives the same data, dated
relative to the moment it runs.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from cases.models import Case, SubjectArea, refresh_queue_counts
from cases.search import refresh_title_trigrams
from portal.dates import OSLO
from portal.db.roles import append_only_suspended, as_owner
from portal.demo import org_number
from portal.models import Organisation, RoleAssignment, RoleType
from portal.validators import org_number_check_digit


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Title vocabulary, most frequent first: word r is drawn with weight
# 1 / (r + TITLE_ZIPF_SHIFT) ** TITLE_ZIPF_EXPONENT (Zipf–Mandelbrot), so a
# handful of words are in a large share of titles and most are seldom seen.
COMMON_WORDS = _words(
    """
    lønn faktura feil utbetaling spørsmål refusjon feriepenger skattetrekk bokføring
    reiseregning sykepenger årsoppgjør lønnsoppgjør attestasjon endring mangler tilgang
    korrigering rapport avstemming overtid trekk etterbetaling bilag ansatt lønnsslipp
    leverandør a-melding pensjon permisjon godkjenning koststed prosjekt budsjett mva
    kreditnota purring periodisering fravær utlegg tillegg stillingsprosent skattekort
    fagforening kjøregodtgjørelse diett bank saldo hovedbok reskontro kunde innbetaling avvik
    frist månedslønn timelønn lønnskjøring arbeidsgiveravgift forskudd trekkpålegg
    foreldrepenger omsorgspenger sluttoppgjør nyansatt arbeidsavtale lønnstrinn ansiennitet
    turnus helligdagstillegg nattillegg kveldstillegg helgetillegg vaktlønn beredskap
    utbetalingsdato kontonummer feilføring postering konto kontoplan dimensjon ansvar tjeneste
    inngående utgående innkjøp bestilling varemottak ordre kontrakt avtale anlegg avskrivning
    eiendel inventar lisens abonnement forsikring husleie strøm telefon reise hotell fly taxi
    parkering bompenger kurs konferanse representasjon gave velferd tilskudd prosjektregnskap
    delrapport regnskapsrapport månedsrapport kvartal tertial halvår prognose likviditet
    kontantstrøm balanse resultat revisjon revisor merknad dokumentasjon vedlegg kvittering
    signatur fullmakt budsjettdisponent attestant anviser rolle brukertilgang passord
    innlogging system integrasjon fil import eksport oppsett rutine veileder frister kalender
    purregebyr inkasso renter forsinkelsesrenter valuta utland toll faktureringsadresse
    organisasjonsnummer ehf efaktura skannet avvist sperret stoppet dobbel duplikat manglende
    forsinket feilaktig uklar ny gammel rettelse sletting kreditering tilbakebetaling
    motregning nedbetaling lån forskuddstrekk tabelltrekk prosenttrekk frikort skattemelding
    lønnsinnberetning sykefravær egenmelding sykmelding graderingsgrad arbeidsgiverperiode nav
    spk klp pensjonstrekk medlemskap uførepensjon afp gruppeliv yrkesskade ferie ferieavvikling
    feriedager avspasering fleksitid timeliste timer overtidsgodtgjørelse utrykning
    bilgodtgjørelse passasjertillegg kostgodtgjørelse nattillegg-reise utenlandsreise
    innenlandsreise reiseforskudd oppgjør avregning differanse kontroll sjekk bekreftelse kopi
    utskrift oversikt liste rapportering statistikk tall beløp sats satser tariff
    hovedtariffavtale særavtale lokale forhandlinger lønnsendring opprykk funksjonstillegg
    kompensasjon bonus engangsbeløp vikar midlertidig fast deltid heltid sluttdato startdato
    oppsigelse pensjonering dødsfall etterlønn sluttvederlag arbeidsgiver arbeidstaker leder
    avdeling seksjon enhet region kontor filial datterselskap konsern internfaktura
    viderefakturering kostnadsfordeling fordelingsnøkkel internhandel elimineringer
    mellomværende statskonto oppgjørskonto bevilgning kapittel post statsregnskapet
    kontantprinsipp periodiseringsprinsipp åpningsbalanse årsregnskap noter årsrapport
    ledelseskommentar økonomi økonomisystem lønnssystem reisesystem mottak behandling
    saksbehandling hastesak påminnelse henvendelse klage innsyn ønske behov hjelp veiledning
    """
)
# Each of these appears in about RARE_WORD_SHARE of all titles: a search for one
# of them finds a few dozen cases among millions.
RARE_WORDS: tuple[str, ...] = (
    "kvartalsavstemming",
    "valutadifferanse",
    "tilbakeføringsbilag",
    "feriepengegrunnlagsavvik",
    "periodiseringsnøkkelfeil",
)
RARE_WORD_SHARE = 0.0001
TITLE_ZIPF_SHIFT = 2.7
TITLE_ZIPF_EXPONENT = 1.0
# Title lengths 3..12 words, shorter ones more common.
TITLE_LENGTH_WEIGHTS = (6, 12, 16, 16, 14, 11, 9, 7, 5, 4)

DESCRIPTIONS = (
    "Vi ser at beløpet avviker fra forrige måned.",
    "Gjelder flere ansatte i avdelingen.",
    "Se vedlagt dokumentasjon.",
    "Haster før neste lønnskjøring.",
    "Kan dere se på dette så snart som mulig?",
    "Vi trenger en bekreftelse til revisor.",
    "Dette har skjedd før, se tidligere sak.",
    "Ring gjerne hvis noe er uklart.",
)
MESSAGE_LINES = (
    "Takk for henvendelsen. Vi ser på saken.",
    "Kan dere sende oss en oversikt over hvilke ansatte det gjelder?",
    "Vedlagt ligger dokumentasjonen dere ba om.",
    "Vi har rettet feilen. Endringen vises i neste kjøring.",
    "Takk for svar. Vi venter på bekreftelse fra leder.",
    "Saken er løst. Ta kontakt hvis noe fortsatt er uklart.",
)
FIRST_NAMES = _words(
    """
    Anne Inger Kari Marit Ingrid Liv Eva Berit Astrid Bjørg Hilde Anna Solveig Marianne Randi
    Ida Nina Maria Elisabeth Kristin Tone Silje Ragnhild Åse Sigrid Mona Hanne Gro Heidi Tove
    Jan Per Bjørn Ole Lars Kjell Knut Arne Svein Thomas Hans Geir Tor Morten Terje Odd Martin
    Erik Andreas Rune John Trond Anders Tore Jon Øyvind Håkon Espen Magnus Sindre Jørgen Ståle
    Åsmund Even Sølvi
    """
)
LAST_NAMES = _words(
    """
    Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen
    Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl Jørgensen
    Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand Solberg Svendsen
    Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie Amundsen Nguyen Rasmussen
    Ali Lunde Solheim Berge Moe Nygård Bakke Kristensen Fredriksen Holm Lien Hauge Christensen
    Andresen Nielsen Knudsen Evensen Sæther Aas Myhre Hanssen Ahmed Haugland Thomassen
    Sivertsen Simonsen Danielsen Berntsen Sandvik Rønning Arnesen Antonsen Næss Vik Haug
    Ellingsen Thorsen Edvardsen Birkeland Isaksen Gulbrandsen Ruud Aasen Strøm Myklebust Tangen
    Ødegård Eliassen Helland Bøe Jenssen Aune Mikkelsen Tveit Brekke Abrahamsen Madsen
    """
)
JOB_TITLES = (
    "Lønnsmedarbeider",
    "Lønnsleder",
    "Regnskapsmedarbeider",
    "Controller",
    "Økonomisjef",
    "Rådgiver",
    "Seniorrådgiver",
    "Konsulent",
    "Avdelingsleder",
    "HR-rådgiver",
)
PLACES = _words(
    """
    Agder Innlandet Nordland Rogaland Troms Finnmark Vestland Vestfold Telemark Viken Trøndelag
    Møre Romsdal Hedmark Oppland Buskerud Østfold Akershus Hordaland Sogn Fjordane Helgeland
    Lofoten Hallingdal Valdres
    """
)
AGENCY_KINDS = (
    "statsforvaltning",
    "vegkontor",
    "helseforetak",
    "skattekontor",
    "museum",
    "høgskole",
    "fylkesbibliotek",
    "havnevesen",
    "kulturråd",
    "tilsynskontor",
)

# Channel shares (portal, e-post, telefon) and the chance that an e-mail or
# phone case has no known reporter.
CHANNEL_WEIGHTS = ((Case.Channel.PORTAL, 80), (Case.Channel.EMAIL, 12), (Case.Channel.PHONE, 8))
ANONYMOUS_OFFLINE_SHARE = 0.5
PAYROLL_SHARE = 0.6
YEARLY_GROWTH = 1.12  # each year busier than the one before
LARGEST_ORGANISATION_SHARE = 0.10
SMALLEST_ORGANISATION_CASES = 300
UPDATE_WINDOW_DAYS = 30
BATCH = 250_000
COPY_CHUNK = 5_000
# Below this many new cases the indexes are kept: rebuilding them would cost more.
DROP_INDEXES_FROM = 1_000
EVIDENCE = "generate_cases"

_S = Case.Status
# (age limit in days, statuses and weights for cases younger than that)
STATUS_BY_AGE: tuple[tuple[float, tuple[tuple[str, int], ...]], ...] = (
    (
        30,
        (
            (_S.ACTIVE, 30),
            (_S.IN_PROGRESS, 30),
            (_S.WAITING_FOR_CUSTOMER, 15),
            (_S.POSTPONED, 5),
            (_S.CLOSED, 20),
        ),
    ),
    (
        365,
        (
            (_S.ACTIVE, 4),
            (_S.IN_PROGRESS, 8),
            (_S.WAITING_FOR_CUSTOMER, 8),
            (_S.POSTPONED, 5),
            (_S.CLOSED, 75),
        ),
    ),
    (
        math.inf,
        (
            (_S.IN_PROGRESS, 5),
            (_S.WAITING_FOR_CUSTOMER, 10),
            (_S.POSTPONED, 15),
            (_S.CLOSED, 970),
        ),
    ),
)

CASE_COLUMNS = (
    "id",
    "number",
    "organisation_id",
    "category",
    "subject_area_id",
    "title",
    "description",
    "channel",
    "reported_by_id",
    "registered_by_id",
    "status",
    "assigned_to_id",
    "created_at",
    "updated_at",
    "reporter_name",
    "assignee_name",
    "submission_key",
    "customer_activity_at",
    "status_since",
)
USER_COLUMNS = (
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "phone",
    "job_title",
    "language",
)
NULL = "\\N"
T = TypeVar("T")
V = TypeVar("V")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DAY_US = 86_400_000_000


def copy_safe(value: str) -> bool:
    """Whether ``value`` can go into COPY's text format as it is (no escaping needed)."""
    return not any(c in value for c in "\\\t\n\r")


def zipf_cum_weights(count: int, shift: float, exponent: float) -> list[float]:
    return list(itertools.accumulate(1 / (r + shift) ** exponent for r in range(1, count + 1)))


def organisation_shares(count: int, cases: int) -> list[float]:
    """Zipf-like shares: the first organisation about 10 %, none below a few hundred cases.

    The exponent is found by bisection so that the first share is
    LARGEST_ORGANISATION_SHARE (with fewer than ten organisations it cannot
    be, and they are equal).
    """
    if count <= 1:
        return [1.0] * count

    def shares(exponent: float) -> list[float]:
        weights = [1 / i**exponent for i in range(1, count + 1)]
        total = sum(weights)
        return [w / total for w in weights]

    if 1 / count >= LARGEST_ORGANISATION_SHARE:
        found = shares(0.0)
    else:
        low, high = 0.0, 8.0
        for _ in range(60):
            middle = (low + high) / 2
            if shares(middle)[0] < LARGEST_ORGANISATION_SHARE:
                low = middle
            else:
                high = middle
        found = shares(high)
    floor = min(0.5 / count, SMALLEST_ORGANISATION_CASES / max(cases, 1))
    raised = [max(share, floor) for share in found]
    total = sum(raised)
    return [share / total for share in raised]


def organisation_name(index: int) -> str:
    place = PLACES[(index - 1) % len(PLACES)]
    kind = AGENCY_KINDS[((index - 1) // len(PLACES)) % len(AGENCY_KINDS)]
    name = f"{place} {kind}"
    if index > len(PLACES) * len(AGENCY_KINDS):
        name += f" {index}"
    return name


def oslo_new_years(first_year: int, last_year: int) -> list[tuple[int, int]]:
    """(microseconds since the epoch of 1 January 00:00 in Oslo, year), ascending."""
    return [
        (_epoch_us(dt.datetime(year, 1, 1, tzinfo=OSLO)), year)
        for year in range(first_year, last_year + 1)
    ]


def _epoch_us(moment: dt.datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Timestamps:
    """Microseconds since the epoch as PostgreSQL text, UTC (twice as fast as ``str(datetime)``)."""

    def __init__(self) -> None:
        self.days: dict[int, str] = {}

    def __call__(self, epoch_us: int) -> str:
        day, rest = divmod(epoch_us, DAY_US)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = (EPOCH + dt.timedelta(days=day)).strftime("%Y-%m-%d ")
        seconds, micro = divmod(rest, 1_000_000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}+00"


def _weighted(choices: Sequence[tuple[V, int]]) -> tuple[list[V], list[int]]:
    """The choices and their cumulative weights, for ``bisect``."""
    return [c for c, _ in choices], list(itertools.accumulate(w for _, w in choices))


@dataclass
class Member:
    user_id: int
    name: str


@dataclass
class BenchOrganisation:
    index: int
    pk: int
    slug: str
    members: list[Member]


class Command(BaseCommand):
    help = (
        "Fill the database with generated organisations, users and cases for benchmarks "
        "(PostgreSQL COPY). Refuses a database that already holds cases unless --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=5_000_000)
        parser.add_argument("--organisations", type=int, default=250)
        parser.add_argument("--users", type=int, default=60_000)
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--messages-per-case",
            type=float,
            default=0.0,
            help="Average number of messages per case (default 0: none).",
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Add to a database that already holds cases.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with as_owner():
            self.generate(**options)

    def generate(self, **options: Any) -> None:
        cases: int = options["cases"]
        n_orgs: int = options["organisations"]
        n_users: int = options["users"]
        years: int = options["years"]
        messages_per_case: float = options["messages_per_case"]
        if cases < 0 or n_orgs < 1 or n_users < 0 or years < 1 or messages_per_case < 0:
            raise CommandError(
                "--cases, --users and --messages-per-case must not be negative; "
                "--organisations and --years must be at least 1."
            )
        existing = Case.objects.count()
        if existing and not options["yes"]:
            raise CommandError(
                f"The database already holds {existing} cases. "
                f"Pass --yes to add {cases} generated cases to them."
            )
        subject_areas = {
            category: list(
                SubjectArea.objects.filter(category=category, is_active=True)
                .order_by("position", "pk")
                .values_list("pk", flat=True)
            )
            for category in ("lonn", "regnskap")
        }
        if not all(subject_areas.values()):
            raise CommandError("Subject areas are missing for a category: run migrate first.")
        self.verbosity: int = options["verbosity"]
        self.rng = random.Random(options["seed"])  # noqa: S311 - test data, not secrets
        self.now = timezone.now()
        self.shares = organisation_shares(n_orgs, cases)
        started = time.perf_counter()
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Check foreign keys row by row rather than queue millions of
                # deferred checks (and let CREATE INDEX run in this transaction).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            organisations = self.step(
                "organisations", lambda: self.make_organisations(n_orgs), detail=False
            )
            self.step("users and memberships", lambda: self.make_users(organisations, n_users))
            self.step("viewers and their roles", lambda: self.make_viewers(organisations))
            self.load_members(organisations)
            self.load_cases(organisations, subject_areas, cases, years, messages_per_case, existing)
        self.step("ANALYZE", self.analyze)
        self.step("title pieces sampled", refresh_title_trigrams)
        total = time.perf_counter() - started
        self.stdout.write(f"Done in {total:.1f} s.")

    # --- Steps ------------------------------------------------------------------

    def step(self, label: str, work: Callable[[], T], detail: bool = True) -> T:
        """Run ``work``, then print ``label``, what it returned (a summary) and the time."""
        started = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - started
        said = f": {result}" if detail else ""
        self.stdout.write(f"  {label}{said} ({elapsed:.1f} s)")
        return result

    def make_organisations(self, count: int) -> list[BenchOrganisation]:
        slugs = [f"bench-org-{i:03d}" for i in range(1, count + 1)]
        known = dict(Organisation.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        taken = set(Organisation.objects.values_list("org_number", flat=True))
        prefixes = (f"{n:08d}" for n in itertools.count(99_100_000))
        new = []
        for index, slug in enumerate(slugs, 1):
            if slug in known:
                continue
            while True:
                first_eight = next(prefixes)
                if org_number_check_digit(first_eight) is None:
                    continue
                number = org_number(first_eight)
                if number not in taken:
                    break
            new.append(Organisation(name=organisation_name(index), org_number=number, slug=slug))
        Organisation.objects.bulk_create(new)
        self.stdout.write(f"  {len(new)} new organisations, {count - len(new)} already there")
        known = dict(Organisation.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        return [
            BenchOrganisation(index=i, pk=known[slug], slug=slug, members=[])
            for i, slug in enumerate(slugs, 1)
        ]

    def make_users(self, organisations: list[BenchOrganisation], count: int) -> str:
        rng = self.rng
        width = max(5, len(str(count)))
        usernames = [f"bench-user-{i:0{width}d}" for i in range(1, count + 1)]
        known = set(self.user_ids(usernames))
        cum = list(itertools.accumulate(self.shares))
        # The first users go one to each organisation, so that each has a member.
        homes = list(range(min(count, len(organisations))))
        homes += [
            bisect.bisect_right(cum, rng.random() * cum[-1]) for _ in range(count - len(homes))
        ]
        homes = [min(home, len(organisations) - 1) for home in homes]
        new = [(u, home) for u, home in zip(usernames, homes, strict=True) if u not in known]
        lines = []
        for username, _home in new:
            joined = self.now - dt.timedelta(days=rng.uniform(0, 3650))
            lines.append(
                "\t".join(
                    (
                        "!",
                        "f",
                        username,
                        rng.choice(FIRST_NAMES),
                        rng.choice(LAST_NAMES),
                        f"{username}@bench.example.no",
                        "f",
                        "t",
                        str(joined),
                        "",
                        rng.choice(JOB_TITLES),
                        "nb",
                    )
                )
                + "\n"
            )
        self.copy("portal_user", USER_COLUMNS, lines)
        ids = self.user_ids([u for u, _ in new])
        self.copy(
            "portal_membership",
            ("user_id", "organisation_id", "created_at"),
            [f"{ids[u]}\t{organisations[home].pk}\t{self.now}\n" for u, home in new],
        )
        return f"{len(new)} new, {count - len(new)} already there"

    def make_viewers(self, organisations: list[BenchOrganisation]) -> str:
        """One member per organisation who sees all of its cases (utvidet tilgang in both areas)."""
        names = {f"bench-viewer-{o.index:03d}": o for o in organisations}
        known = set(self.user_ids(list(names)))
        self.copy(
            "portal_user",
            USER_COLUMNS,
            [
                "\t".join(
                    (
                        "!",
                        "f",
                        username,
                        "Bench",
                        f"Viewer {o.index:03d}",
                        f"{username}@bench.example.no",
                        "f",
                        "t",
                        str(self.now),
                        "",
                        "Controller",
                        "nb",
                    )
                )
                + "\n"
                for username, o in names.items()
                if username not in known
            ],
        )
        ids = self.user_ids(list(names))
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO portal_membership (user_id, organisation_id, created_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (user_id, organisation_id) DO NOTHING",
                [(ids[u], o.pk, self.now) for u, o in names.items()],
            )
        roles = dict(
            RoleType.objects.filter(
                code__in=[RoleType.EXTENDED_PAYROLL, RoleType.EXTENDED_ACCOUNTING]
            ).values_list("code", "pk")
        )
        if len(roles) != 2:
            raise CommandError("The extended-access role types are missing: run migrate first.")
        held = set(
            RoleAssignment.objects.held_today()
            .filter(person_id__in=ids.values(), role_id__in=roles.values())
            .values_list("person_id", "organisation_id", "role_id")
        )
        wanted = [
            (ids[u], o.pk, role_pk)
            for u, o in names.items()
            for role_pk in roles.values()
            if (ids[u], o.pk, role_pk) not in held
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO portal_roleassignment (lineage, person_id, organisation_id, role_id, "
                "valid_from, valid_to, retracted, recorded_at, basis, evidence) "
                "VALUES (%s, %s, %s, %s, %s, NULL, false, %s, %s, %s)",
                [
                    (
                        uuid.UUID(int=self.rng.getrandbits(128), version=4),
                        person,
                        organisation,
                        role,
                        dt.date(2012, 1, 1),
                        self.now,
                        RoleAssignment.Basis.STAFF.value,
                        EVIDENCE,
                    )
                    for person, organisation, role in wanted
                ],
            )
        return f"{len(names) - len(known)} new viewers, {len(wanted)} role assignments"

    def load_members(self, organisations: list[BenchOrganisation]) -> None:
        by_pk = {o.pk: o for o in organisations}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT m.organisation_id, u.id, u.first_name, u.last_name, u.username "
                "FROM portal_membership m JOIN portal_user u ON u.id = m.user_id "
                "WHERE m.organisation_id = ANY(%s) "
                "AND (u.username LIKE 'bench-user-%%' OR u.username LIKE 'bench-viewer-%%') "
                "ORDER BY u.id",
                [list(by_pk)],
            )
            rows = cursor.fetchall()
        viewers: dict[int, list[Member]] = {}
        for organisation_pk, user_pk, first, last, username in rows:
            name = f"{first} {last}".strip() or username
            if not copy_safe(name):
                continue
            target = (
                viewers.setdefault(organisation_pk, [])
                if username.startswith("bench-viewer-")
                else by_pk[organisation_pk].members
            )
            target.append(Member(user_pk, name))
        for organisation in organisations:
            if not organisation.members:
                organisation.members = viewers.get(organisation.pk, [])
            if not organisation.members:
                raise CommandError(f"{organisation.slug} has no members to report its cases.")

    def load_cases(
        self,
        organisations: list[BenchOrganisation],
        subject_areas: dict[str, list[int]],
        count: int,
        years: int,
        messages_per_case: float,
        existing: int,
    ) -> None:
        if count == 0:
            return
        first_id = self.step("reserve ids", lambda: self.reserve_ids(count))
        drop = count >= DROP_INDEXES_FROM and count >= existing
        dropped: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
        if drop:
            dropped = self.step(
                "drop secondary indexes and foreign keys", self.drop_indexes, detail=False
            )
        freeze = existing == 0 and self.step(
            "truncate the empty case tables (for COPY FREEZE)", self.truncate_if_empty
        )
        started = time.perf_counter()
        # The desk's queue counts (cases.models.QueueCount) are kept by a trigger per
        # row; for a bulk load it is off, and the counts are made once at the end.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_case DISABLE TRIGGER cases_case_queue_count")
        messages = self.write_cases(
            organisations, subject_areas, count, years, messages_per_case, first_id, freeze
        )
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_case ENABLE TRIGGER cases_case_queue_count")
        refresh_queue_counts()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"  cases: {count} (ids {first_id}–{first_id + count - 1}), "
            f"messages: {messages} ({elapsed:.1f} s, {count / max(elapsed, 1e-9):,.0f} cases/s)"
        )
        if drop:
            self.step("recreate indexes and foreign keys", lambda: self.recreate(*dropped))

    def truncate_if_empty(self) -> bool:
        """TRUNCATE the case table and the tables that refer to it, when all are empty.

        COPY FREEZE writes rows already frozen and marks their pages all-visible,
        so no VACUUM pass over millions of rows is needed before index-only scans
        pay off; PostgreSQL allows it only into a table truncated (or created) in
        the same transaction. Nothing is lost: if any of the tables holds a row,
        nothing is truncated and the load goes on without FREEZE. The append-only
        tables among them refuse TRUNCATE from anyone; their triggers are off for
        this one statement, inside the load's transaction.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH RECURSIVE referring(rel) AS ("
                " SELECT 'cases_case'::regclass UNION"
                " SELECT c.conrelid FROM pg_constraint c JOIN referring r ON c.confrelid = r.rel"
                " WHERE c.contype = 'f') "
                "SELECT rel::regclass::text FROM referring"
            )
            # Names from the catalogue, quoted by regclass's output.
            tables = [str(row[0]) for row in cursor.fetchall()]
            for table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
                row = cursor.fetchone()
                if row is None or row[0]:
                    return False
            with append_only_suspended():
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
        return True

    def reserve_ids(self, count: int) -> int:
        """Take ``count`` ids from the case table's sequence, above every id in use."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence('cases_case', 'id'), "
                "(SELECT coalesce(max(id), 0) FROM cases_case)"
            )
            row = cursor.fetchone()
            assert row is not None
            sequence, max_id = row
            cursor.execute("SELECT coalesce(pg_sequence_last_value(%s::regclass), 0)", [sequence])
            last = cursor.fetchone()
            assert last is not None
            first = max(int(max_id), int(last[0])) + 1
            cursor.execute("SELECT setval(%s::regclass, %s)", [sequence, first + count - 1])
        return first

    def drop_indexes(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Drop the case table's indexes that back no constraint, and its foreign keys.

        Returns their definitions, to recreate exactly those afterwards.
        """
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = 'cases_case' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conrelid = 'cases_case'::regclass AND c.conname = i.indexname) "
                "ORDER BY i.indexname"
            )
            indexes = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'cases_case'::regclass AND contype = 'f' ORDER BY conname"
            )
            foreign_keys = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
            for name, _sql in foreign_keys:
                cursor.execute(f"ALTER TABLE cases_case DROP CONSTRAINT {quote(name)}")
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        return indexes, foreign_keys

    def recreate(self, indexes: list[tuple[str, str]], foreign_keys: list[tuple[str, str]]) -> str:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for name, sql in [
                *indexes,
                *(
                    (name, f"ALTER TABLE cases_case ADD CONSTRAINT {quote(name)} {sql}")
                    for name, sql in foreign_keys
                ),
            ]:
                started = time.perf_counter()
                cursor.execute(sql)
                if self.verbosity >= 2:
                    self.stdout.write(f"    {name} ({time.perf_counter() - started:.1f} s)")
        return f"{len(indexes)} indexes, {len(foreign_keys)} foreign keys"

    def write_cases(
        self,
        organisations: list[BenchOrganisation],
        subject_areas: dict[str, list[int]],
        count: int,
        years: int,
        messages_per_case: float,
        first_id: int,
        freeze: bool,
    ) -> int:
        """COPY ``count`` cases, ids from ``first_id`` in creation order. Returns the messages.

        Each batch is one COPY, written in chunks while the next rows are
        generated, so PostgreSQL stores one chunk while Python makes the next.
        """
        rng = self.rng
        uniform = rng.random
        pick = bisect.bisect_right
        stamp = Timestamps()
        now_us = _epoch_us(self.now)
        year_us = 365.2425 * DAY_US
        lam = math.log(YEARLY_GROWTH)
        reach = 1 - math.exp(-lam * years)
        new_years = oslo_new_years(self.now.year - years - 1, self.now.year + 1)
        words = COMMON_WORDS
        word_cum = zipf_cum_weights(len(words), TITLE_ZIPF_SHIFT, TITLE_ZIPF_EXPONENT)
        word_total = word_cum[-1]
        lengths, length_cum = _weighted(
            [(length, w) for length, w in enumerate(TITLE_LENGTH_WEIGHTS, 3)]
        )
        org_cum = list(itertools.accumulate(self.shares))
        channels, channel_cum = _weighted([(str(c), w) for c, w in CHANNEL_WEIGHTS])
        status_table = [
            (limit * DAY_US, *_weighted([(str(s), w) for s, w in choices]))
            for limit, choices in STATUS_BY_AGE
        ]
        rare_chance = RARE_WORD_SHARE * len(RARE_WORDS)
        portal = str(Case.Channel.PORTAL)
        active = str(Case.Status.ACTIVE)
        descriptions = DESCRIPTIONS
        year_at = 0
        next_new_year, year = new_years[0][0], new_years[0][1] - 1
        messages_written = 0
        case_id = first_id
        # Creation moments, oldest first: the descending order statistics of
        # ``count`` uniform numbers (each the one before times V ** (1/k)),
        # mapped through the inverse of an exponential distribution over
        # ``years`` (more recent years busier). No list of millions to sort.
        u = 1.0
        remaining = count
        statement = f"COPY cases_case ({', '.join(CASE_COLUMNS)}) FROM STDIN" + (
            " (FREEZE)" if freeze else ""
        )
        while remaining:
            size = min(BATCH, remaining)
            homes = rng.choices(organisations, cum_weights=org_cum, k=size)
            message_lines: list[str] = []
            with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
                lines: list[str] = []
                for organisation in homes:
                    u *= uniform() ** (1 / remaining)
                    remaining -= 1
                    created = now_us - int(-math.log(1 - u * reach) / lam * year_us)
                    while created >= next_new_year:
                        year = new_years[year_at][1]
                        year_at += 1
                        next_new_year = new_years[year_at][0]
                    updated = min(created + int(uniform() * UPDATE_WINDOW_DAYS * DAY_US), now_us)
                    category = "lonn" if uniform() < PAYROLL_SHARE else "regnskap"
                    areas = subject_areas[category]
                    subject = areas[int(uniform() * len(areas))]
                    length = lengths[pick(length_cum, uniform() * length_cum[-1])]
                    picked = dict.fromkeys(
                        [words[pick(word_cum, uniform() * word_total)] for _ in range(length + 3)]
                    )
                    while len(picked) < 3:
                        picked[words[pick(word_cum, uniform() * word_total)]] = None
                    title_words = list(picked)[:length]
                    if uniform() < rare_chance:
                        title_words[rng.randrange(len(title_words))] = rng.choice(RARE_WORDS)
                    title = " ".join(title_words)
                    title = title[0].upper() + title[1:]
                    channel = channels[pick(channel_cum, uniform() * channel_cum[-1])]
                    if channel != portal and uniform() < ANONYMOUS_OFFLINE_SHARE:
                        reporter: Member | None = None
                    else:
                        members = organisation.members
                        reporter = members[int(uniform() * len(members))]
                    age = now_us - created
                    for limit, statuses, status_cum in status_table:
                        if age < limit:
                            status = statuses[pick(status_cum, uniform() * status_cum[-1])]
                            break
                    description = descriptions[int(uniform() * len(descriptions))]
                    lines.append(
                        f"{case_id}\tSAK-{year}-{case_id:07d}\t{organisation.pk}\t{category}\t"
                        f"{subject}\t{title}\t{title}. {description}\t{channel}\t"
                        f"{reporter.user_id if reporter else NULL}\t{NULL}\t{status}\t{NULL}\t"
                        f"{stamp(created)}\t{stamp(updated)}\t"
                        f"{reporter.name if reporter else ''}\t\t{NULL}\t"
                        # The desk's queue: an Aktiv case was last touched by its customer.
                        f"{stamp(updated if status == active else created)}\t{stamp(updated)}\n"
                    )
                    if messages_per_case:
                        message_lines += self.messages_for(
                            case_id, reporter, created, updated, messages_per_case, stamp
                        )
                    case_id += 1
                    if len(lines) == COPY_CHUNK:
                        copy.write("".join(lines))
                        lines.clear()
                copy.write("".join(lines))
            if message_lines:
                self.copy(
                    "cases_message",
                    ("case_id", "author_id", "from_staff", "is_internal", "body", "created_at"),
                    message_lines,
                )
                messages_written += len(message_lines)
            done = count - remaining
            if done % 1_000_000 < BATCH and remaining and self.verbosity >= 1:
                self.stdout.write(f"    {done} cases written")
        return messages_written

    def messages_for(
        self,
        case_id: int,
        reporter: Member | None,
        created: int,
        updated: int,
        average: float,
        stamp: Timestamps,
    ) -> list[str]:
        rng = self.rng
        how_many = int(average) + (rng.random() < average - int(average))
        moments = sorted(created + int(rng.random() * (updated - created)) for _ in range(how_many))
        lines = []
        for position, moment in enumerate(moments):
            from_staff = position % 2 == 1
            internal = from_staff and rng.random() < 0.1
            author = NULL if from_staff or reporter is None else str(reporter.user_id)
            lines.append(
                f"{case_id}\t{author}\t{'t' if from_staff else 'f'}\t{'t' if internal else 'f'}\t"
                f"{rng.choice(MESSAGE_LINES)}\t{stamp(moment)}\n"
            )
        return lines

    def analyze(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            if connection.in_atomic_block:
                return "VACUUM skipped (inside a transaction)"
            # After ANALYZE of everything: the visibility map VACUUM sets lets
            # the list's index-only scans skip the table.
            cursor.execute("VACUUM (ANALYZE) cases_case")
        return "and VACUUM (ANALYZE) cases_case"

    # --- Helpers ----------------------------------------------------------------

    def copy(self, table: str, columns: Sequence[str], lines: list[str]) -> None:
        """COPY ``lines`` (text format, tab-separated, newline-terminated) into ``table``."""
        if not lines:
            return
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(statement) as copy:
                for chunk in _chunks(lines, 10_000):
                    copy.write("".join(chunk))

    def user_ids(self, usernames: list[str]) -> dict[str, int]:
        """The ids of those of ``usernames`` that exist (one array parameter, any number)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT username, id FROM portal_user WHERE username = ANY(%s)", [usernames]
            )
            return {str(name): int(pk) for name, pk in cursor.fetchall()}


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def vocabulary_is_copy_safe() -> bool:
    """Everything the generator writes unescaped into COPY's text format is safe there."""
    texts = (
        *COMMON_WORDS,
        *RARE_WORDS,
        *DESCRIPTIONS,
        *MESSAGE_LINES,
        *FIRST_NAMES,
        *LAST_NAMES,
        *JOB_TITLES,
        *PLACES,
        *AGENCY_KINDS,
    )
    return all(copy_safe(text) for text in texts)
