"""The API for the organisations' systems (issue 17) over millions of cases, through
real HTTP to gunicorn.

The data is the case list's (``bench.case_list.ensure_cases``: BENCH_CASES cases,
default 5 000 000), and its large and small organisation (``pick_targets``). Each
gets two registered systems (``portal.models.ApiClient``): an HR system that reads
all payroll cases (``read_lonn``) and drafts access orders, and an archive that
reads every case of both categories (``read_lonn`` and ``read_regnskap``). The HR
system has DRAFTS drafts: waiting, discarded, and in the large organisation
submitted as orders (by a member the bench makes autorisert bestiller lønn; see
``ensure_drafts``). The newest payroll case has MESSAGES messages, a few with an
attachment row (the file itself is never read). All of it is made once and reused.

Tokens come from ``portal.dev_issuer.DevIssuer`` in this process, on a free port
of 127.0.0.1, as Maskinporten's would: gunicorn (two workers, ``Gunicorn``) gets
MASKINPORTEN_ISSUER set to it, fetches its keys once and checks every token's
signature and claims as in production. Each system's token is minted to last
TOKEN_SECONDS, so none expires during the run. The API's rate limit per
registration (API_RATE_LIMIT, 120/min by default) is raised to RATE_LIMIT for the
run; it is counted per second so that its history in the cache stays as short as
production's (the throttle keeps one timestamp per request in its window and
writes them all back on each request).

The figure is the server's own time from the ``Server-Timing`` header, as for the
case list, with the same SQL floor (``request_floor``: the request made once
in-process, its SELECTs re-run alone). No target was set for the API; the case
list's (median under 30 ms, p95 under 50 ms) is printed beside each scenario as
the reference the portal's own list is held to. A scenario whose p95 is over
LOOK_AT_PLAN_MS gets the plan of its slowest statement (EXPLAIN ANALYZE) printed
and written to the results.

Every scenario gets REPEAT timed requests; the run exits non-zero when one got
fewer, an answer was not 200, or an answer came without Server-Timing.
BENCH_ONLY=tittel,drafts times only the scenarios whose names contain a word.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.management import call_command
from django.db import connection
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from access.drafts import (
    DraftLineInput,
    area_roles,
    do_discard_draft,
    do_draft_order,
    do_submit_draft,
)
from access.models import OrderDraft
from access.ordering import LineInput
from bench.case_list import (
    TARGET_MEDIAN_MS,
    TARGET_P95_MS,
    Target,
    captured_selects,
    ensure_cases,
    fmt,
    pick_targets,
    request_floor,
    share,
    shares,
)
from bench.common import Gunicorn, time_get, write_results
from cases.listing import encode_cursor
from cases.management.commands.generate_cases import COMMON_WORDS, RARE_WORDS
from cases.models import Attachment, Case, Message
from portal.dates import today as oslo_today
from portal.db.roles import as_owner
from portal.dev_issuer import DevIssuer, new_key
from portal.models import ApiClient, Membership, RoleAssignment, RoleType, User
from portal.services import do_assign_role

WARMUP = 5
REPEAT = 30
LOOK_AT_PLAN_MS = 100.0  # a p95 above this gets its slowest statement's plan
MAX_RESTARTS = 2
SCOPE = "dfo:kundesenter"
TOKEN_SECONDS = 6 * 3600
RATE_LIMIT = "10000/s"
DRAFTS = 40
MESSAGES = 12
EVIDENCE = "bench/api.py"
P = ApiClient.Permission
# The two systems of each organisation: label, client id, name, permissions.
SYSTEMS: tuple[tuple[str, str, str, list[str]], ...] = (
    ("lonn", "bench-api-hr", "HR-systemet (bench)", [P.READ_PAYROLL, P.DRAFT_ORDERS]),
    ("both", "bench-api-arkiv", "Arkivet (bench)", [P.READ_PAYROLL, P.READ_ACCOUNTING]),
)


@dataclass
class System:
    label: str
    target: Target
    client: ApiClient
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Scenario:
    name: str
    path: Callable[[System], str]  # the address, for one system
    systems: tuple[str, ...] = ("lonn", "both")


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    generation = ensure_cases(int(os.environ.get("BENCH_CASES", "5000000")))
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
    targets = pick_targets()
    systems = [ensure_system(target, *spec) for target in targets for spec in SYSTEMS]
    for system in systems:
        if system.label == "lonn":
            ensure_drafts(system, submit=system.target.label == "large")
    cases = {target.label: ensure_messages(target) for target in targets}
    print(
        f"{Case.objects.count()} cases; large: {targets[0].organisation.slug} "
        f"({targets[0].cases}), small: {targets[1].organisation.slug} ({targets[1].cases})"
    )
    scenarios = make_scenarios(cases)
    only = [word for word in os.environ.get("BENCH_ONLY", "").split(",") if word]
    if only:
        scenarios = [s for s in scenarios if any(word in s.name for word in only)]

    issuer = DevIssuer(url="", key=new_key())
    issuer.serve("127.0.0.1", 0)
    for system in systems:
        system.token = issuer.mint(
            org_number=system.target.organisation.org_number,
            client_id=system.client.client_id,
            scope=SCOPE,
            seconds=TOKEN_SECONDS,
        )
    api_settings = {
        "MASKINPORTEN_ISSUER": issuer.url,
        "MASKINPORTEN_SCOPES": SCOPE,
        "API_RATE_LIMIT": RATE_LIMIT,
    }
    results: list[dict[str, Any]] = []
    server = Gunicorn(env=api_settings)
    try:
        server.start()
        with override_settings(**api_settings | {"MASKINPORTEN_SCOPES": [SCOPE]}):
            for scenario in scenarios:
                for system in systems:
                    if system.label not in scenario.systems:
                        continue
                    if not server.alive() and server.restarts < MAX_RESTARTS:
                        server.restart()
                    row = measure(server, scenario, system)
                    results.append(row)
                    print_row(row)
    finally:
        server.stop()
        issuer.stop()
    path = write_results(
        "api",
        {
            "cases": Case.objects.count(),
            "generation": generation,
            "organisations": {
                t.label: {"slug": t.organisation.slug, "cases": t.cases} for t in targets
            },
            "systems": {
                f"{s.target.label} {s.label}": {
                    "client_id": s.client.client_id,
                    "permissions": s.client.permissions,
                    "cases_visible": Case.objects.visible_to_client(s.client).count(),
                }
                for s in systems
            },
            "rate_limit": RATE_LIMIT,
            "warmup": WARMUP,
            "repeat": REPEAT,
            "reference": {"median_ms": TARGET_MEDIAN_MS, "p95_ms": TARGET_P95_MS},
            "scenarios": results,
            "gunicorn_restarts": server.restarts,
        },
    )
    print(f"written to {path.relative_to(path.parents[2])}")
    fail_loudly(results)


def measure(server: Gunicorn, scenario: Scenario, system: System) -> dict[str, Any]:
    path = scenario.path(system)
    row: dict[str, Any] = {
        "scenario": scenario.name,
        "org": system.target.label,
        "system": system.label,
        "path": path,
    }
    row |= time_get(server, path, WARMUP, REPEAT, headers=system.headers)
    in_process = in_process_get(path, system)
    try:
        row |= request_floor(in_process)
    except Exception as exc:  # reported in the row; the other scenarios go on
        row |= {"sql_floor_ms": None, "sql_floor_error": repr(exc)[:500]}
    row |= shares(row)
    row["meets_reference"] = row.pop("meets_target")
    if row["p95_ms"] is not None and row["p95_ms"] > LOOK_AT_PLAN_MS:
        row["plan"] = slowest_plan(in_process)
    return row


def in_process_get(path: str, system: System) -> Callable[[], HttpResponseBase]:
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    return lambda: client.get(path, headers=system.headers)


def fail_loudly(results: list[dict[str, Any]]) -> None:
    """Exit non-zero when a scenario was not measured as asked: fewer timed requests
    than REPEAT, an answer but 200, or one without Server-Timing. The reference
    missed is printed, not fatal: it is the portal list's target, not the API's."""
    broken = [
        f"{row['scenario']} ({row['org']}, {row['system']}): {row['timed']} of {REPEAT} "
        f"timed, HTTP {row['status']}, {row.get('no_server_timing', 0)} without Server-Timing"
        for row in results
        if row["timed"] < REPEAT or row["status"] != "200" or row.get("no_server_timing")
    ]
    missed = [
        f"{row['scenario']} ({row['org']}, {row['system']}): "
        f"median {fmt(row['median_ms'])}, p95 {fmt(row['p95_ms'])}"
        for row in results
        if not row["meets_reference"]
    ]
    print(
        f"the case list's targets (median < {TARGET_MEDIAN_MS:.0f} ms, "
        f"p95 < {TARGET_P95_MS:.0f} ms) as reference: ",
        end="",
    )
    print("all met" if not missed else f"missed by {len(missed)}:\n   " + "\n   ".join(missed))
    if broken:
        raise SystemExit("api bench: not measured as asked:\n   " + "\n   ".join(broken))


# --- Scenarios --------------------------------------------------------------------


def make_scenarios(cases: dict[str, str]) -> list[Scenario]:
    common, rare = COMMON_WORDS[0], RARE_WORDS[0]
    # ISO 8601 with its offset, as a system keeps the last updated_at it saw.
    since = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0).isoformat()

    def listed(*params: tuple[str, str]) -> Callable[[System], str]:
        return lambda system: "/api/v1/cases/?" + urlencode(params)

    def middle(system: System) -> str:
        return "/api/v1/cases/?" + urlencode([("cursor", middle_cursor(system.client))])

    return [
        Scenario("cases: first page (limit 50)", listed(("limit", "50"))),
        Scenario("cases: limit 100", listed(("limit", "100"))),
        Scenario(f"cases: tittel '{common}'", listed(("tittel", common))),
        Scenario(f"cases: tittel '{rare}'", listed(("tittel", rare))),
        Scenario("cases: status avsluttet", listed(("status", "avsluttet"))),
        Scenario("cases: status aktiv", listed(("status", "aktiv"))),
        Scenario("cases: changed_since 3 days back", listed(("changed_since", since))),
        Scenario("cases: page in the middle (cursor)", middle),
        Scenario(
            f"case with {MESSAGES} messages",
            lambda system: f"/api/v1/cases/{cases[system.target.label]}/",
        ),
        Scenario(
            f"order-drafts ({DRAFTS})", lambda system: "/api/v1/order-drafts/", systems=("lonn",)
        ),
    ]


def middle_cursor(client: ApiClient) -> str:
    """A ``next`` link's cursor halfway down the system's list (oldest change first), as
    a system paging through all its cases from the start would reach it."""
    visible = Case.objects.visible_to_client(client).order_by("updated_at", "id")
    half = visible.count() // 2
    updated_at, pk = visible.values_list("updated_at", "id")[half]
    return encode_cursor(updated_at, pk)


# --- Data ------------------------------------------------------------------------


def ensure_system(
    target: Target, label: str, client_id: str, name: str, permissions: list[str]
) -> System:
    """The organisation's registration of ``client_id``, in force, with ``permissions``."""
    client = ApiClient.objects.filter(
        organisation=target.organisation, client_id=client_id, withdrawn_at__isnull=True
    ).first()
    if client is None:
        client = ApiClient.objects.create(
            organisation=target.organisation,
            client_id=client_id,
            name=name,
            permissions=list(permissions),
            registered_by=target.viewer,
        )
    elif sorted(client.permissions) != sorted(permissions):
        client.permissions = list(permissions)
        client.save(update_fields=["permissions"])
    return System(label, target, client)


def ensure_drafts(system: System, *, submit: bool) -> None:
    """DRAFTS drafts by the HR system, through the services the API and the order page
    use, one to three lines for new people each; a quarter of them discarded by an
    orderer of the organisation and, where ``submit``, another quarter submitted as
    orders. Only the large organisation's are submitted: an order makes a case, and
    the small organisation must stay the smallest, as the benchmarks pick it by its
    number of cases (ten more among half a million change nothing)."""
    client, organisation = system.client, system.target.organisation
    drafts = OrderDraft.objects.filter(api_client=client).order_by("id")
    have = drafts.count()
    roles = [f"{role.system.code}/{role.code}" for role in area_roles("lonn").order_by("id")]
    starts = oslo_today() + dt.timedelta(days=30)
    for number in range(have, DRAFTS):
        lines = [
            DraftLineInput(
                system_role=roles[(number + line) % len(roles)],
                action="grant",
                valid_from=starts,
                new_person_name=f"Ny Ansatt {number:02d}-{line}",
                new_person_email=f"ny-{organisation.pk}-{number}-{line}@bench.example.no",
                employee_number=f"9{number:03d}{line}",
            )
            for line in range(1 + number % 3)
        ]
        do_draft_order(
            actor=client,
            organisation=organisation,
            area="lonn",
            lines=lines,
            comment=f"Nye ansatte, runde {number + 1}",
        )
    ended = Counter(drafts.values_list("state", flat=True))
    wanted = DRAFTS // 4
    discard = max(0, wanted - ended[OrderDraft.State.DISCARDED])
    submitting = max(0, wanted - ended[OrderDraft.State.SUBMITTED]) if submit else 0
    if not discard and not submitting:
        return
    orderer = ensure_orderer(system.target)
    waiting = list(drafts.filter(state=OrderDraft.State.WAITING)[: discard + submitting])
    for draft in waiting[:discard]:
        do_discard_draft(actor=orderer, draft=draft)
    for draft in waiting[discard:]:
        inputs = [LineInput.of(line) for line in draft.lines.all()]
        do_submit_draft(actor=orderer, draft=draft, lines=inputs)


def ensure_orderer(target: Target) -> User:
    """A member of the organisation (not its viewer, whom the case list times) who holds
    autorisert bestiller lønn today, to submit and discard the drafts."""
    role = RoleType.objects.get(code=RoleType.PAYROLL_ORDERER)
    held = (
        RoleAssignment.objects.held_today()
        .filter(organisation=target.organisation, role=role, evidence=EVIDENCE)
        .select_related("person")
        .first()
    )
    if held is not None:
        return held.person
    member = (
        Membership.objects.filter(organisation=target.organisation)
        .exclude(user=target.viewer)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    person = member.user if member is not None else target.viewer
    do_assign_role(
        actor=None,
        person=person,
        organisation=target.organisation,
        role=role,
        valid_from=dt.date(2020, 1, 1),
        basis=RoleAssignment.Basis.STAFF,
        evidence=EVIDENCE,
    )
    return person


def ensure_messages(target: Target) -> str:
    """The number of the organisation's newest payroll case, with MESSAGES messages
    (every other one from the customer centre, one of those internal) and three
    attachment rows: one on the case, one on a message, one internal."""
    case = (
        Case.objects.filter(organisation=target.organisation, category="lonn")
        .order_by("-id")
        .first()
    )
    assert case is not None, "the organisation has no payroll case"
    have = case.messages.count()
    if have >= MESSAGES:
        return case.number
    start = case.created_at
    messages = Message.objects.bulk_create(
        Message(
            case=case,
            author=None if position % 2 else case.reported_by,
            from_staff=position % 2 == 1,
            is_internal=position == 3,
            body=f"Melding {position + 1}: vi har sett på saken og kommer tilbake.",
            created_at=start + dt.timedelta(hours=position + 1),
        )
        for position in range(have, MESSAGES)
    )
    if have:  # the attachments came with the first messages
        return case.number
    Attachment.objects.bulk_create(
        Attachment(
            case=case,
            message=message,
            file=f"bench/{name}",
            name=name,
            content_type="application/pdf",
            size=120_000,
            sha256="0" * 64,
            is_internal=internal,
        )
        for message, name, internal in (
            (None, "skjema.pdf", False),
            (messages[0], "lonnsslipp.pdf", False),
            (messages[1], "notat.pdf", True),
        )
    )
    return case.number


# --- Plans and output ------------------------------------------------------------


def slowest_plan(request: Callable[[], HttpResponseBase]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECT ``request`` runs."""
    statements, _figures = captured_selects(request)
    slowest: tuple[float, list[str]] = (-1.0, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [line for (line,) in cursor.fetchall()]
            took = next(
                (float(line.split()[-2]) for line in plan if line.startswith("Execution Time")),
                0.0,
            )
            if took > slowest[0]:
                slowest = (took, [sql, *plan])
    return slowest[1]


_header_printed = False


def print_row(row: dict[str, Any]) -> None:
    global _header_printed
    if not _header_printed:
        print(
            f"{'scenario':38} {'org':6} {'system':6} {'median ms':>10} {'p95 ms':>8} "
            f"{'SQL floor':>10} {'Python':>7} {'n':>3} {'HTTP':>5} reference"
        )
        _header_printed = True
    print(
        f"{row['scenario'][:38]:38} {row['org']:6} {row['system']:6} "
        f"{fmt(row['median_ms']):>10} {fmt(row['p95_ms']):>8} {fmt(row['sql_floor_ms']):>10} "
        f"{share(row['python_share_pct']):>7} {row['timed']:>3} {row['status']:>5} "
        f"{'met' if row['meets_reference'] else 'MISSED'}",
        flush=True,
    )
    if "sql_floor_error" in row:
        print(f"   SQL floor failed: {row['sql_floor_error'][:200]}", flush=True)
    if row.get("no_server_timing"):
        print(f"   {row['no_server_timing']} answers without Server-Timing", flush=True)
    for line in row.get("plan", []):
        print(f"   | {line}", flush=True)
