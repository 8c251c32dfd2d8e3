"""PostgreSQL backend that brings its own server.

Identical to Django's ``postgresql`` backend except that, before the first
connection, it makes sure the embedded server is running and points the
connection at its socket. ``settings.DATABASES`` selects it only when no
DATABASE_URL is given. The connection's user is the settings' (the app role,
or the owner inside ``portal.db.roles.as_owner``); the server trusts its socket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql import base

from portal.db.embedded import Endpoint, ensure_running


class DatabaseWrapper(base.DatabaseWrapper):
    def ensure_server(self) -> Endpoint:
        """Start (or join) the embedded server, without connecting; this process then holds it."""
        owner = settings.DATABASE_OWNER
        assert owner is not None, "the embedded server always has an owner role"
        return ensure_running(
            Path(self.settings_dict["OPTIONS"]["embedded_pgdata"]),
            self.settings_dict["NAME"],
            owner=str(owner["USER"]),
            app=str(settings.DATABASES[DEFAULT_DB_ALIAS]["USER"]),
        )

    def get_connection_params(self) -> dict[str, Any]:
        endpoint = self.ensure_server()
        self.settings_dict["HOST"] = endpoint.host
        self.settings_dict["PORT"] = str(endpoint.port)
        params = super().get_connection_params()
        params.pop("embedded_pgdata", None)
        return params
