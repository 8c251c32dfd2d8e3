"""Django's ``createcachetable``, as the owner, granting the app role the new table.

The cache table is made outside the migrations, so post_migrate does not
cover it (portal/db/roles.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import createcachetable

from portal.db.roles import as_owner, grant_to_app_role


class Command(createcachetable.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        with as_owner(options["database"]):
            super().handle(*args, **options)
            if not options["dry_run"]:
                grant_to_app_role(options["database"])
