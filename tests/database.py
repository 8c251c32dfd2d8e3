"""The test database, set up as production's is: the owner migrates, the app role runs.

pytest-django creates, migrates and (without --reuse-db) drops the test
database as the owner of the schema (DATABASE_OWNER, portal/db/roles.py); the
tests themselves run as the app role, which owns nothing. Two things need the
owner during the run:

- the flush that ends every transactional test (the browser tests' live
  server): Django empties the tables with TRUNCATE, which the app role may not
  do and the append-only tables refuse from anyone. The flush runs as the
  owner with those triggers switched off for it, as an operator restoring a
  database would;
- tests of tools that change the schema (``generate_cases``): ``owner_db``
  runs the test's transaction as the owner.

A second alias, ``replica``, stands for a streaming replica: a connection of
its own to the test database (Django's TEST MIRROR), read-only as a hot
standby is. Only tests that name it (``django_db(databases=[..., "replica"])``)
may query it, and only those that install the router
(tests/test_replica_routing.py) send reads there; the rest of the suite runs
as a portal without a replica does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import TransactionTestCase

from portal.db.roles import append_only_suspended, as_owner
from portal.db.routing import REPLICA


def pytest_configure(config: pytest.Config) -> None:
    """Add the ``replica`` alias before the test databases are set up."""
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connections

    if REPLICA in settings.DATABASES:
        # Its router would send the whole suite's list pages to a real server's lagging copy.
        raise pytest.UsageError(
            "Unset DATABASE_REPLICA_URL for the tests: they stand in a replica of their own"
        )
    replica: dict[str, Any] = copy.deepcopy(settings.DATABASES[DEFAULT_DB_ALIAS])
    # Like a hot standby, it refuses every write: one routed there fails the test.
    options = replica.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c default_transaction_read_only=on"
    replica["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
    settings.DATABASES[REPLICA] = replica
    # Django read DATABASES at start-up; this fills in the new entry's defaults.
    connections.configure_settings(settings.DATABASES)


QUEUE_TABLES = (
    "procrastinate_jobs",
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: object,
    django_db_use_migrations: bool,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's own fixture, with the database work done as the owner."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    if not django_db_use_migrations:
        raise pytest.UsageError(
            "--nomigrations is not supported: the append-only triggers are made by migrations"
        )
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock(), as_owner():  # type: ignore[attr-defined]
        config = setup_databases(
            verbosity=verbosity,
            interactive=False,
            aliases=aliases,  # type: ignore[arg-type] # a set of names, as Django's own runner
            serialized_aliases=serialized_aliases,
            keepdb=django_db_keepdb and not django_db_createdb,
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock(), as_owner():  # type: ignore[attr-defined]
            teardown_databases(config, verbosity=verbosity)


@pytest.fixture(scope="session", autouse=True)
def _flush_as_owner() -> Iterator[None]:
    """Transactional tests end with a flush by the owner, across the append-only triggers."""
    flush = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]

    def fixture_teardown(self: TransactionTestCase) -> None:
        # One transaction: an interrupted flush cannot leave the triggers off.
        with as_owner(), transaction.atomic(), append_only_suspended():
            flush(self)
            # The queue's tables are not Django's (unmanaged models): the flush leaves
            # them, and a job left behind would run in the next test.
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(QUEUE_TABLES)} CASCADE")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)
        yield


@pytest.fixture
def _connected_as_owner() -> Iterator[None]:
    with as_owner():
        yield


@pytest.fixture
def owner_db(_connected_as_owner: None, db: None) -> None:
    """Like ``db`` (one transaction, rolled back), but connected as the owner.

    Request it before any fixture that uses the database: the role can only
    change before the test's transaction starts.
    """
