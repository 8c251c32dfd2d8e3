from django.db import migrations

TRIGGER = """
CREATE TRIGGER access_accessgrant_append_only
BEFORE UPDATE OR DELETE ON access_accessgrant
FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();
"""


def seed_catalogue(apps, schema_editor):
    from portal.seed import ensure_role_types
    from access.seed import ensure_catalogue

    ensure_role_types(apps.get_model("portal", "RoleType"))
    ensure_catalogue(
        apps.get_model("access", "System"),
        apps.get_model("access", "SystemRole"),
        apps.get_model("portal", "RoleType"),
    )


class Migration(migrations.Migration):
    """Access grants are a record of what was granted when: append-only, as role assignments are."""

    dependencies = [
        ("access", "0002_orders"),
        ("portal", "0005_append_only_and_role_types"),
    ]

    operations = [
        migrations.RunSQL(
            TRIGGER, "DROP TRIGGER IF EXISTS access_accessgrant_append_only ON access_accessgrant;"
        ),
        migrations.RunPython(seed_catalogue, migrations.RunPython.noop),
    ]
