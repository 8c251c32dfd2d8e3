"""Django's ``migrate``, connected as the owner of the schema (portal/db/roles.py).

The app role the web processes use may not change the schema; the owner
(DATABASE_OWNER_URL) may. After the migrations, the post_migrate signal has
the owner grant the app role its rights on every table (portal/apps.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate

from portal.db.roles import as_owner


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> str | None:
        with as_owner(options["database"]):
            return super().handle(*args, **options)
