"""Reads from a streaming replica, only where a view asks for them.

With DATABASE_REPLICA_URL the settings add the ``replica`` alias and install
:class:`ReplicaRouter`; without it neither exists and every query goes to the
primary (``default``). Even with a replica, a read goes there only inside
``replica_reads(Model, ...)`` and only for the models it names: the case
list's rows and the export's. The replica lags the primary by a moment, so a
page that reads what was just written (the case page after filing, the
columns just chosen) and the gate's questions (memberships, roles) stay on the
primary. docs/decisions.md, "Reads from a replica", says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

REPLICA = "replica"

_replica_models: ContextVar[frozenset[type[Model]]] = ContextVar(
    "replica_models", default=frozenset()
)


def _concrete(model: type[Model]) -> type[Model]:
    # A proxy (an admin's view of Case) reads the same table as its model.
    return model._meta.concrete_model or model


@contextmanager
def replica_reads(*models: type[Model]) -> Iterator[None]:
    """Within the block (or the decorated function), read ``models`` from the replica.

    Only reads: writes, ``select_for_update`` and ``get_or_create`` go to the
    primary whatever the scope. A no-op without a replica (no router installed).
    """
    named = frozenset(_concrete(model) for model in models)
    token = _replica_models.set(_replica_models.get() | named)
    try:
        yield
    finally:
        _replica_models.reset(token)


class ReplicaRouter:
    """The primary for everything, except reads of the models ``replica_reads`` names."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return REPLICA if _concrete(model) in _replica_models.get() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # Always named: left to Django, a row read from the replica would be saved there.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: a case read there may point at a user read here.
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= aliases else None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        # A streaming replica takes its schema from the primary's WAL.
        return db == DEFAULT_DB_ALIAS
