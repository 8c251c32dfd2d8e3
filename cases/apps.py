from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_reference_data(sender: AppConfig, **kwargs: Any) -> None:
    # After every migrate and every flush (transactional tests flush the
    # database): reference data is idempotent, so making sure costs little.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from cases.models import SubjectArea
    from cases.seed import ensure_subject_areas, ensure_teams

    ensure_subject_areas(SubjectArea)
    for label in ("portal", "cases"):  # the teams' permissions, before auth's own turn
        create_permissions(apps.get_app_config(label), verbosity=0)
    ensure_teams(Group, Permission)


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cases.signals import copy_name_to_cases
        from portal.models import User

        post_save.connect(copy_name_to_cases, sender=User, dispatch_uid="cases.copy_name")
        post_migrate.connect(
            _ensure_reference_data, sender=self, dispatch_uid="cases.reference_data"
        )
