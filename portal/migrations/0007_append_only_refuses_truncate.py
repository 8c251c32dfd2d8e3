from django.db import migrations

# The SQL is frozen here, as every migration's must be.
TRUNCATE_TRIGGER = """
CREATE TRIGGER {table}_refuses_truncate
BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_change();
"""

TABLES = ["portal_roleassignment", "portal_auditevent", "access_accessgrant"]


class Migration(migrations.Migration):
    """The append-only tables refuse TRUNCATE too, from everyone, the owner included.

    The row triggers of 0005 (and access 0003) refuse UPDATE and DELETE; TRUNCATE
    empties a table without touching a row, so it needs a statement trigger of
    its own, calling the same function. The app role cannot TRUNCATE at all (it
    owns nothing, portal/db/roles.py); this is the second wall, against the
    owner's mistakes. Owner maintenance that must empty these tables (the test
    suite's flush) switches the triggers off explicitly, which only an owner can.

    access_accessgrant is here rather than in an access migration so that one
    migration puts the one rule on every table that had it.
    """

    dependencies = [
        ("portal", "0006_user_oidc_sub"),
        ("access", "0003_grants_append_only_and_catalogue"),
    ]

    operations = [
        migrations.RunSQL(
            TRUNCATE_TRIGGER.format(table=table),
            f"DROP TRIGGER IF EXISTS {table}_refuses_truncate ON {table};",
        )
        for table in TABLES
    ]
