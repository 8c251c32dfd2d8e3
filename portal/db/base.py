"""PostgreSQL backend that brings its own server.

Identical to Django's ``postgresql`` backend except that, before the first
connection, it makes sure the embedded server is running and points the
connection at its socket. ``settings.DATABASES`` selects it only when no
DATABASE_URL is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.postgresql import base

from portal.db.embedded import ensure_running


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        endpoint = ensure_running(
            Path(self.settings_dict["OPTIONS"]["embedded_pgdata"]), self.settings_dict["NAME"]
        )
        self.settings_dict["HOST"] = endpoint.host
        self.settings_dict["PORT"] = str(endpoint.port)
        self.settings_dict["USER"] = endpoint.user
        params = super().get_connection_params()
        params.pop("embedded_pgdata", None)
        return params
