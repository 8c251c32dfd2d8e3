"""The support desk: a team's queue and the page on which staff work a case.

The queue is the admin's start page for staff in a team (``portal.desk_site``):
the team's open cases, newest customer activity first, with counts per status,
"mine", "unassigned" and "waiting for the customer too long", and what waits
for a decision in the layers above (orders, appointments, fullmakt forms,
registered with ``register_pending``). The case page reads as a conversation
and does its work through the ``do_*`` services, like every other path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from cases.desk_forms import INSERT_TEMPLATE, AnswerForm, WorkForm
from cases.models import (
    STATUS_CHANGE_NOTES,
    Case,
    CaseChange,
    Message,
    QueueCount,
    StatusChange,
)
from cases.services import (
    DuplicateSubmission,
    do_add_message,
    do_change_status,
    do_update_case_by_staff,
)
from portal.models import Area, User
from portal.organisations import user_of
from portal.services import Refused
from portal.teams import request_staff_areas
from portal.version import safe_next_url

QUEUE_PAGE_SIZE = 50
OPEN_STATUSES = [status for status in Case.Status if status != Case.Status.CLOSED]


def waiting_too_long_days() -> int:
    """After how many days "Waiting for customer" is worth a reminder (settings)."""
    return int(settings.DESK_WAITING_TOO_LONG_DAYS)


# What waits for a decision in the layers above: each returns its lines for a staff
# member who works ``areas`` (access registers orders, appointments, fullmakt forms).
@dataclass(frozen=True)
class Pending:
    label: str
    count: int
    url: str
    note: str = ""


PendingSource = Callable[[User, list[str]], list[Pending]]
_pending_sources: list[PendingSource] = []


def register_pending(source: PendingSource) -> PendingSource:
    if source not in _pending_sources:
        _pending_sources.append(source)
    return source


# Links from a case to where its order, appointment or fullmakt form is decided.
@dataclass(frozen=True)
class Related:
    label: str
    url: str


RelatedSource = Callable[[User, Case], list[Related]]
_related_sources: list[RelatedSource] = []


def register_related(source: RelatedSource) -> RelatedSource:
    if source not in _related_sources:
        _related_sources.append(source)
    return source


# ---------------------------------------------------------------- the queue

VIEWS = ("alle", "mine", "ufordelt", "venter-lenge")


@dataclass
class Queue:
    """What the queue page shows, read from the request's parameters."""

    user: User
    areas: list[str]
    view: str = "alle"
    status: str = ""
    category: str = ""
    oldest_first: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_request(cls, request: HttpRequest, user: User, areas: list[str]) -> Queue:
        view = request.GET.get("vis", "alle")
        status = request.GET.get("status", "")
        category = request.GET.get("kategori", "")
        return cls(
            user=user,
            areas=areas,
            view=view if view in VIEWS else "alle",
            status=status if status in OPEN_STATUSES else "",
            category=category if category in areas and len(areas) > 1 else "",
            oldest_first=request.GET.get("sortering") == "eldste",
        )

    @property
    def categories(self) -> list[str]:
        return [self.category] if self.category else self.areas

    def open_cases(self) -> QuerySet[Case]:
        return Case.objects.filter(category__in=self.categories).exclude(status=Case.Status.CLOSED)

    def waiting_since(self) -> dt.datetime:
        return timezone.now() - dt.timedelta(days=waiting_too_long_days())

    def view_condition(self, view: str) -> Q:
        match view:
            case "mine":
                return Q(assigned_to=self.user)
            case "ufordelt":
                return Q(assigned_to__isnull=True)
            case "venter-lenge":
                return Q(
                    status=Case.Status.WAITING_FOR_CUSTOMER, status_since__lt=self.waiting_since()
                )
        return Q()

    def count(self) -> dict[str, int]:
        """Every count of the page, from the kept counts (``QueueCount``) and the few
        cases that went on "Waiting for customer" lately: no scan of the open cases."""
        if self.counts:
            return self.counts
        kept = QueueCount.objects.filter(category__in=self.categories, cases__gt=0)
        per_status: dict[str, int] = {str(status): 0 for status in OPEN_STATUSES}
        mine = dict.fromkeys(per_status, 0)
        unassigned = dict.fromkeys(per_status, 0)
        for row in kept.values_list("status", "assigned_to_id", "cases"):
            status, assignee, cases = row
            if status not in per_status:
                continue
            per_status[status] += cases
            if assignee is None:
                unassigned[status] += cases
            elif assignee == self.user.pk:
                mine[status] += cases
        waiting = str(Case.Status.WAITING_FOR_CUSTOMER)
        lately = (
            Case.objects.filter(category__in=self.categories, status=waiting)
            .filter(status_since__gte=self.waiting_since())
            .count()
        )
        waiting_long = dict.fromkeys(per_status, 0)
        waiting_long[waiting] = max(per_status[waiting] - lately, 0)
        by_view = {
            "alle": per_status,
            "mine": mine,
            "ufordelt": unassigned,
            "venter-lenge": waiting_long,
        }
        self.counts = {view: sum(counts.values()) for view, counts in by_view.items()}
        self.counts |= {f"status:{status}": count for status, count in by_view[self.view].items()}
        return self.counts

    def order(self) -> list[Any]:
        moment = F("customer_activity_at")
        if self.oldest_first:
            return [moment.asc(nulls_first=True), F("id").asc()]
        return [moment.desc(nulls_last=True), F("id").desc()]

    def ids(self) -> QuerySet[Case, int]:
        """The page's ids in the queue's order, read from an index alone (``case_open_queue``
        and ``case_open_by_assignee`` carry every column this asks), so a view that skips
        many cases to fill its page (waiting for weeks, a rare status) skips them in the
        index, not in the table."""
        rows = self.open_cases().filter(self.view_condition(self.view))
        if self.status:
            rows = rows.filter(status=self.status)
        return rows.order_by(*self.order()).values_list("id", flat=True)

    def fetch(self, ids: list[int]) -> list[Case]:
        """The cases of one page, with what the page shows of them."""
        return list(
            Case.objects.filter(pk__in=ids)
            .select_related("organisation", "subject_area", "assigned_to")
            .order_by(*self.order())
        )

    def query(self, **changes: Any) -> str:
        """The queue's address with ``changes`` made to its parameters."""
        params = {
            "vis": self.view if self.view != "alle" else "",
            "status": self.status,
            "kategori": self.category,
            "sortering": "eldste" if self.oldest_first else "",
        }
        params.update({key: value for key, value in changes.items()})
        kept = {key: value for key, value in params.items() if value}
        return "?" + urlencode(kept) if kept else "?"


def queue_view(request: HttpRequest) -> HttpResponse:
    """The start page of a staff member in a team: the team's work."""
    from django.contrib import admin

    user = user_of(request)
    areas = request_staff_areas(request)
    queue = Queue.from_request(request, user, areas)
    counts = queue.count()
    total = counts[f"{queue.view}"] if not queue.status else counts[f"status:{queue.status}"]
    paginator = Paginator(queue.ids(), QUEUE_PAGE_SIZE)
    paginator.count = total  # kept by the database (QueueCount): not counted here
    page = paginator.get_page(request.GET.get("side"))
    cases = queue.fetch(list(page.object_list))
    here = reverse("admin:index") + queue.query(side=page.number if page.number > 1 else "")
    here = here.removesuffix("?")
    views = [
        (view, label, counts[view], queue.query(vis=view if view != "alle" else "", status=""))
        for view, label in (
            ("alle", _("All open")),
            ("mine", _("Mine")),
            ("ufordelt", pgettext("queue of cases", "Unassigned")),
            (
                "venter-lenge",
                ngettext(
                    "Waiting for the customer over %(days)s day",
                    "Waiting for the customer over %(days)s days",
                    waiting_too_long_days(),
                )
                % {"days": waiting_too_long_days()},
            ),
        )
    ]
    statuses = [
        (status, status.label, counts[f"status:{status}"], queue.query(status=status))
        for status in OPEN_STATUSES
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Work queue"),
        "queue": queue,
        "views": views,
        "statuses": statuses,
        "categories": [(area, Area(area).label, queue.query(kategori=area)) for area in areas]
        if len(areas) > 1
        else [],
        "all_categories_url": queue.query(kategori=""),
        "page": page,
        "cases": cases,
        "total": total,
        "total_text": ngettext("%(count)s case", "%(count)s cases", total)
        % {"count": number_format(total, force_grouping=True)},
        "sort_newest_url": queue.query(sortering=""),
        "sort_oldest_url": queue.query(sortering="eldste"),
        "here": here,
        "all_cases_url": reverse("admin:cases_case_changelist"),
        "pending": [line for source in _pending_sources for line in source(user, areas)],
        "waiting_days": waiting_too_long_days(),
    }
    context["previous_url"] = (
        queue.query(side=page.previous_page_number()) if page.has_previous() else ""
    )
    context["next_url"] = queue.query(side=page.next_page_number()) if page.has_next() else ""
    return TemplateResponse(request, "admin/desk/queue.html", context)


# ---------------------------------------------------------------- the case page


def safe_return(request: HttpRequest, fallback: str) -> str:
    """Where "back" leads: the queue the staff member came from (``next``), if it is ours."""
    target = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    return target if target and target.startswith(reverse("admin:index")) else fallback


@dataclass(frozen=True)
class Entry:
    """One line of the case's timeline: a message (with its attachments) or a change."""

    at: dt.datetime
    kind: str  # "opening", "message", "change"
    message: Message | None = None
    text: str = ""
    author: str = ""
    attachments: tuple[Any, ...] = ()


def _message_author(message: Message) -> str:
    if message.author:
        return str(message.author)
    if message.api_client:  # the organisation's own system, through the API
        return str(message.api_client)
    return str(_("The customer centre"))


def timeline(case: Case) -> list[Entry]:
    """The case top to bottom: what the customer reported, the conversation, and every
    change to its status, subject area and assignee, in the reader's language."""
    attachments = list(case.attachments.select_related("message"))
    opening = Entry(
        at=case.created_at,
        kind="opening",
        text=case.shown_description,
        author=case.reporter_name or _("Unknown sender"),
        attachments=tuple(a for a in attachments if a.message_id is None),
    )
    conversation = [
        Entry(
            at=message.created_at,
            kind="message",
            message=message,
            text=message.shown_body,
            author=_message_author(message),
            attachments=tuple(a for a in attachments if a.message_id == message.pk),
        )
        for message in case.messages.select_related("author", "api_client")
    ]
    changes = [
        Entry(at=change.changed_at, kind="change", text=status_line(change), author=by(change))
        for change in case.status_changes.select_related("changed_by")
        if change.from_status  # the first line is the opening itself
    ]
    changes += [
        Entry(at=change.changed_at, kind="change", text=change.describe(), author=by(change))
        for change in case.changes.select_related(
            "from_subject_area", "to_subject_area", "from_user", "to_user", "changed_by"
        )
    ]
    return [opening, *sorted(chain(conversation, changes), key=lambda entry: entry.at)]


def by(change: StatusChange | CaseChange) -> str:
    return str(change.changed_by) if change.changed_by else _("The system")


def status_line(change: StatusChange) -> str:
    line = _("Status changed from %(before)s to %(after)s") % {
        "before": change.get_from_status_display(),
        "after": change.get_to_status_display(),
    }
    note = STATUS_CHANGE_NOTES.get(change.reason)
    if note is not None:
        return f"{line}: {note}"
    return f"{line}: {change.reason}" if change.reason else line


def case_page(model_admin: ModelAdmin[Case], request: HttpRequest, case: Case) -> HttpResponse:
    """GET shows the case; POST answers, inserts a template, or changes how it is worked."""
    actor = user_of(request)
    areas = request_staff_areas(request)
    here = request.path
    came_from = safe_return(request, "")  # the queue, at the place the case was opened from
    action = request.POST.get("handling", "") if request.method == "POST" else ""
    answer = AnswerForm(case=case, action=action)
    work = WorkForm(
        case=case,
        areas=areas,
        initial={
            "status": case.status,
            "assigned_to": case.assigned_to_id,
            "subject_area": case.subject_area_id,
        },
    )
    status = 200
    if action in ("svar", "svar_venter", "svar_avslutt", INSERT_TEMPLATE):
        answer = AnswerForm(request.POST, request.FILES, case=case, action=action)
        if answer.is_valid():
            if action == INSERT_TEMPLATE:
                data = request.POST.copy()
                data["body"] = answer.with_template()
                data["template"] = ""
                answer = AnswerForm(data, case=case, action="")
                answer.errors.clear()  # shown again to go on writing, not judged yet
            else:
                if answer_case(request, actor, case, answer):
                    return HttpResponseRedirect(came_from or here)
                status = 400
        else:
            status = 400
    elif action in ("arbeid", "ta"):
        work = WorkForm(request.POST if action == "arbeid" else None, case=case, areas=areas)
        take = action == "ta"
        if (take or work.is_valid()) and change_work(request, actor, case, work, take=take):
            query = f"?{urlencode({'next': came_from})}" if came_from else ""
            return HttpResponseRedirect(here + query)
        status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"{case.number} {case.shown_title}",
        "case": case,
        "timeline": timeline(case),
        "answer": answer,
        "work": work,
        "came_from": came_from,
        "back": came_from or reverse("admin:index"),
        "related": [link for source in _related_sources for link in source(actor, case)],
        "templates_json": {
            str(template.pk): template.filled_in(case)
            for template in answer.fields["template"].queryset  # type: ignore[attr-defined]
        },
        "is_mine": case.assigned_to_id == actor.pk,
        "portal_channel": Case.Channel.PORTAL.label,
    }
    return TemplateResponse(request, "admin/desk/case.html", context, status=status)


def answer_case(request: HttpRequest, actor: User, case: Case, form: AnswerForm) -> bool:
    data = form.cleaned_data
    internal = data["kind"] == "notat"
    try:
        do_add_message(
            actor=actor,
            case=case,
            body=data["body"].strip(),
            uploads=data["attachments"],
            internal=internal,
            submission_key=data.get("submission_key"),
            then_status=form.then_status,
        )
    except DuplicateSubmission:
        pass  # the first click did it; say so as if this one had
    except Refused as refusal:
        form.add_error(None, refusal.reason)
        return False
    case.refresh_from_db()
    text = (
        _("Internal note saved on %(number)s. The customer does not see it.")
        if internal
        else _("Answer sent on %(number)s. The customer is told by e-mail that there is news.")
    ) % {"number": case.number}
    if form.then_status is not None:
        text += " " + _("The status is now %(status)s.") % {
            "status": Case.Status(case.status).label
        }
    messages.success(request, text)
    return True


def change_work(
    request: HttpRequest, actor: User, case: Case, form: WorkForm, *, take: bool
) -> bool:
    try:
        if take:
            do_update_case_by_staff(
                actor=actor, case=case, subject_area=case.subject_area, assigned_to=actor
            )
            messages.success(request, _("The case is assigned to you."))
            return True
        data = form.cleaned_data
        do_update_case_by_staff(
            actor=actor,
            case=case,
            subject_area=data["subject_area"],
            assigned_to=data["assigned_to"],
        )
        if data["status"] != case.status:
            do_change_status(actor=actor, case=case, status=Case.Status(data["status"]))
    except Refused as refusal:
        if take:
            messages.error(request, refusal.reason)
            return True
        form.add_error(None, refusal.reason)
        return False
    messages.success(request, _("Saved."))
    return True
