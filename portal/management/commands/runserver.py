"""Django's ``runserver`` (with the static files), its reloader holding the embedded server.

With the reloader, ``runserver`` is two processes: the one started watches the
code and runs the server in a child, started again on every change. Without
this, only the child used the embedded PostgreSQL: every reload stopped and
started it, and SIGTERM to the parent (how ``make run`` is stopped from
outside) killed the child outright, leaving PostgreSQL running. Holding it in
the parent too, the child comes and goes beside it, and the parent, the last
to leave, stops it (portal/db/embedded.py). Both let go on SIGHUP (a closed
terminal) as well: the child uses the server from a thread of its own, where
its connection cannot set up the signals.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.staticfiles.management.commands import runserver
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

from portal.db import embedded
from portal.db.base import DatabaseWrapper as EmbeddedDatabase


class Command(runserver.Command):
    def run(self, **options: Any) -> None:
        reloader_parent = os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        connection = connections[DEFAULT_DB_ALIAS]
        if isinstance(connection, EmbeddedDatabase):
            if options["use_reloader"] and reloader_parent:
                connection.ensure_server()
            embedded.leave_on_signals()
        super().run(**options)
