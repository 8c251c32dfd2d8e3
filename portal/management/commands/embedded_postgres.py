"""manage.py embedded_postgres status|stop

The embedded PostgreSQL (no DATABASE_URL, ``var/pgdata``) by hand: ``status``
says whether it runs and which processes use it; ``stop`` stops it (a fast
shutdown: those processes lose the database until they are started again) and
empties the list of processes using it.
Both first drop what processes that were killed left behind
(portal/db/embedded.py). Neither starts the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal.db import embedded


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL server of var/pgdata."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args: Any, **options: Any) -> None:
        pgdata = Path(settings.VAR_DIR) / "pgdata"
        if options["action"] == "stop":
            before = embedded.stop(pgdata)
            if before.pid is None:
                self.stdout.write(f"The embedded PostgreSQL in {pgdata} was not running.")
                return
            self.stdout.write(f"Stopped the embedded PostgreSQL in {pgdata} (pid {before.pid}).")
            if before.users:
                self.stdout.write(f"Processes that were using it: {self._pids(before.users)}.")
            return
        now = embedded.status(pgdata)
        if now.pid is None:
            self.stdout.write(f"The embedded PostgreSQL in {pgdata} is not running.")
            return
        self.stdout.write(
            f"The embedded PostgreSQL in {pgdata} is running (pid {now.pid}, socket in "
            f"{now.socket_dir}), used by {self._pids(now.users) or 'no process'}."
        )

    @staticmethod
    def _pids(pids: list[int]) -> str:
        return ", ".join(str(pid) for pid in pids)
