from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_reference_data(sender: AppConfig, **kwargs: Any) -> None:
    # After every migrate and flush: the catalogue is idempotent reference data.
    from access.models import System, SystemRole
    from access.seed import ensure_catalogue
    from portal.models import RoleType
    from portal.seed import ensure_role_types, fill_nynorsk

    ensure_role_types(RoleType)
    ensure_catalogue(System, SystemRole, RoleType)
    fill_nynorsk(System)
    fill_nynorsk(SystemRole)

    # The teams decide their area's appointments, orders and fullmakt forms.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from access.seed import TEAM_PERMISSIONS
    from cases.seed import ensure_teams

    create_permissions(apps.get_app_config("access"), verbosity=0)
    ensure_teams(Group, Permission, TEAM_PERMISSIONS)


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("Access and orderers")

    def ready(self) -> None:
        from access import desk as access_desk
        from access.panels import appointment_panel, drafts_waiting_notice, order_panel
        from cases import desk, panels

        panels.register(appointment_panel)
        panels.register(order_panel)
        panels.register_start_notice(drafts_waiting_notice)
        desk.register_pending(access_desk.pending)
        desk.register_related(access_desk.related)
        post_migrate.connect(
            _ensure_reference_data, sender=self, dispatch_uid="access.reference_data"
        )
        from access.audit_text import register_access_audit_text

        register_access_audit_text()
