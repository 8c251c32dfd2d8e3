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
    from portal.seed import fill_nynorsk

    ensure_subject_areas(SubjectArea)
    fill_nynorsk(SubjectArea)
    for label in ("portal", "cases"):  # the teams' permissions, before auth's own turn
        create_permissions(apps.get_app_config(label), verbosity=0)
    ensure_teams(Group, Permission)


def _refuse_unnamed_uploads_instead_of_dropping_them() -> None:
    """Django's multipart parser drops, without a word, a file whose name it cleans away
    (``..``, ``.``, only control characters): the case was then created without it.
    Here such a file comes through under the name it was sent with, and the upload
    checks (cases/uploads.py) refuse it with a message and store nothing. An empty
    file input (no name at all) is still no file. See docs/decisions.md."""
    from django.http.multipartparser import MultiPartParser

    sanitize = MultiPartParser.sanitize_file_name
    if getattr(sanitize, "keeps_unusable_names", False):
        return

    def sanitize_file_name(self: MultiPartParser, file_name: str) -> str | None:
        cleaned: str | None = sanitize(self, file_name)
        if cleaned is not None or not file_name:
            return cleaned
        # The trailing space gets it past UploadedFile's own check of the name (which
        # would end the request with a bare 400) to ours, which says what is wrong.
        return f"{file_name} "

    sanitize_file_name.keeps_unusable_names = True  # type: ignore[attr-defined]
    MultiPartParser.sanitize_file_name = sanitize_file_name  # type: ignore[method-assign]


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cases.signals import copy_name_to_cases
        from portal.models import User

        post_save.connect(copy_name_to_cases, sender=User, dispatch_uid="cases.copy_name")
        _refuse_unnamed_uploads_instead_of_dropping_them()
        post_migrate.connect(
            _ensure_reference_data, sender=self, dispatch_uid="cases.reference_data"
        )
        from cases.audit_text import register_cases_audit_text

        register_cases_audit_text()
