"""The admin as the support desk: a staff member's start page is their team's work.

The queue itself belongs to the cases layer (``cases.desk``), which registers it
here as ``start_page``; this layer only knows that there is one. Every register
of the stock admin index stays one link away (``admin:registers``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from portal.teams import request_staff_areas


class DeskSite(AdminSite):
    site_header = _("Kundesenter – support")
    site_title = _("Kundesenter admin")
    index_title = _("All registers")

    start_page: Callable[[HttpRequest], HttpResponse] | None = None

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if self.start_page is not None and request_staff_areas(request):
            return self.start_page(request)
        return super().index(request, extra_context)

    def registers(self, request: HttpRequest) -> Any:
        """The stock index: every register the staff member may open."""
        return super().index(request)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path("registre/", self.admin_view(self.registers), name="registers"),
            *super().get_urls(),
        ]
