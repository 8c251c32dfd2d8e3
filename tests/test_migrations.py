"""Migrations are history: what one did must not change when the app's code does.

A migration that imports the app's code (its SQL, its seed data, its models)
runs today's version of that code, not the one it was written with: change
``cases.text`` and migration 0003 would build other functions on a new
database than it built on production's. So every migration holds its SQL and
its data itself, reads models through ``apps.get_model``, and names the app's
code only where Django's migration writer must: a callable that a field holds
(an ``upload_to``, a validator), which the migration state must hold as the
same function for ``makemigrations`` to see the model unchanged.
"""

from __future__ import annotations

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "cases", "access")
MIGRATIONS = sorted(path for app in APPS for path in (ROOT / app / "migrations").glob("0*.py"))
# The callables fields hold, which Django's writer names by their import path.
FIELD_CALLABLES = {"cases.models.attachment_path", "portal.validators.validate_org_number"}


def app_code_named(path: Path) -> list[str]:
    """What of the app's own code the migration imports or names, as dotted paths."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imported: set[str] = set()
    named: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in APPS:
            named += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.split(".")[0] in APPS}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = ast.unparse(node)
            if any(dotted.startswith(f"{module}.") for module in imported):
                named.append(dotted)
    # An imported module whose names are never used is an import of app code too.
    used = {module for module in imported for name in named if name.startswith(f"{module}.")}
    return sorted({*named, *(imported - used)})


@pytest.mark.parametrize(
    "path", MIGRATIONS, ids=lambda path: f"{path.parent.parent.name}.{path.stem}"
)
def test_migration_holds_its_own_sql_and_data(path: Path) -> None:
    named = set(app_code_named(path))
    assert named <= FIELD_CALLABLES, (
        f"{path.relative_to(ROOT)} uses the app's code: {sorted(named - FIELD_CALLABLES)}; "
        "copy the SQL or the data into the migration, and read models with apps.get_model"
    )


def test_the_check_finds_an_import_of_app_code(tmp_path: Path) -> None:
    migration = tmp_path / "0099_example.py"
    migration.write_text(
        "import cases.text\n"
        "from portal.seed import ensure_role_types\n"
        "import cases.models\n"
        "def seed(apps, schema_editor):\n"
        "    from access.seed import ensure_catalogue\n"
        "SQL = cases.text.SQL_FUNCTIONS\n"
        "path = cases.models.attachment_path\n",
        encoding="utf-8",
    )
    assert app_code_named(migration) == [
        "access.seed.ensure_catalogue",
        "cases.models.attachment_path",
        "cases.text.SQL_FUNCTIONS",
        "portal.seed.ensure_role_types",
    ]


def test_the_models_need_no_new_migration(db: None) -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.fixture
def owner_transactional_db(_connected_as_owner: None, transactional_db: None) -> None:
    """A database the test may change the schema of, as the owner; emptied afterwards."""


def case_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'cases_case' ORDER BY indexname"
        )
        return [row[0] for row in cursor.fetchall()]


def test_cases_migrate_back_to_their_seed_data_and_forward_again(
    owner_transactional_db: None,
) -> None:
    """Back to cases 0002 (before the folding functions and every list index) and
    forward to the latest: each step's reverse and the frozen SQL work on a real
    schema, and the way back ends where it started."""
    before = case_indexes()
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("cases", "0002_subject_areas_and_teams")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regproc('ks_fold') IS NULL")
        assert cursor.fetchone() == (True,)
    executor = MigrationExecutor(connection)
    executor.migrate(leaves)
    assert case_indexes() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT ks_fold('ÆØÅ Björn É'), ks_sortkey('Åse'), ks_status_rank('utsatt')")
        assert cursor.fetchone() == ("æøå bjørn e", "}se", 4)
