from django.db import migrations

# The SQL is frozen here, as every migration's must be.
TRUNCATE_TRIGGER = """
CREATE TRIGGER {table}_refuses_truncate
BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_change();
"""

TABLES = ["portal_roleassignment", "portal_auditevent"]


class Migration(migrations.Migration):
    """The append-only tables refuse TRUNCATE too, from everyone, the owner included.

    The row triggers of 0005 (and access 0003) refuse UPDATE and DELETE; TRUNCATE
    empties a table without touching a row, so it needs a statement trigger of
    its own, calling the same function. The app role cannot TRUNCATE at all (it
    owns nothing, portal/db/roles.py); this is the second wall, against the
    owner's mistakes. Owner maintenance that must empty these tables (the test
    suite's flush) switches the triggers off explicitly, which only an owner can.

    access_accessgrant gets the same in access migration 0005 (portal is below
    access, and its migrations do not depend on it).
    """

    dependencies = [
        ("portal", "0006_user_oidc_sub"),
    ]

    operations = [
        migrations.RunSQL(
            TRUNCATE_TRIGGER.format(table=table),
            f"DROP TRIGGER IF EXISTS {table}_refuses_truncate ON {table};",
        )
        for table in TABLES
    ]
