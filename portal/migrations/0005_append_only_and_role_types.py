from django.db import migrations

# The role register and the audit trail are records of what was known when.
# Python never updates or deletes them, and the database makes sure nothing
# else does either: any UPDATE or DELETE raises. (TRUNCATE, used only by test
# flushes and by an operator restoring a database, is a statement-level
# operation these row triggers do not cover.)
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

TRIGGER = """
CREATE TRIGGER {table}_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();
"""


ROLE_TYPES = [
    # code, name_nb, name_en, kind, area, position
    ("kontraktsansvarlig", "Kontraktsansvarlig", "Contract owner", "contact", "", 10),
    ("kontaktperson-lonn", "Kontaktperson lønn", "Contact person, payroll", "contact", "lonn", 20),
    (
        "kontaktperson-regnskap",
        "Kontaktperson regnskap",
        "Contact person, accounting",
        "contact",
        "regnskap",
        30,
    ),
    (
        "kontaktperson-it-teknisk",
        "Kontaktperson IT-teknisk",
        "Technical IT contact",
        "contact",
        "",
        40,
    ),
    ("fullmakt", "Fullmakt", "Power of attorney (fullmakt)", "authority", "", 50),
    (
        "autorisert-bestiller-lonn",
        "Autorisert bestiller lønn",
        "Authorised payroll orderer",
        "authority",
        "lonn",
        60,
    ),
    (
        "autorisert-bestiller-regnskap",
        "Autorisert bestiller regnskap",
        "Authorised accounting orderer",
        "authority",
        "regnskap",
        70,
    ),
    (
        "budsjettdisponent",
        "Budsjettdisponent",
        "Budget holder (budsjettdisponent)",
        "authority",
        "",
        80,
    ),
    (
        "utvidet-tilgang-lonn",
        "Utvidet tilgang lønn",
        "Extended access, payroll",
        "access",
        "lonn",
        90,
    ),
    (
        "utvidet-tilgang-regnskap",
        "Utvidet tilgang regnskap",
        "Extended access, accounting",
        "access",
        "regnskap",
        100,
    ),
]


def seed_role_types(apps, schema_editor):
    # The role types the rules name, as they were when this migration was written
    # (frozen: portal/seed.py may change; post_migrate fills in what it adds).
    RoleType = apps.get_model("portal", "RoleType")
    for code, name_nb, name_en, kind, area, position in ROLE_TYPES:
        RoleType.objects.get_or_create(
            code=code,
            defaults={
                "name_nb": name_nb,
                "name_en": name_en,
                "kind": kind,
                "area": area,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_role_register")]

    operations = [
        migrations.RunSQL(
            APPEND_ONLY_FUNCTION, "DROP FUNCTION IF EXISTS portal_refuse_change() CASCADE;"
        ),
        migrations.RunSQL(
            TRIGGER.format(table="portal_roleassignment"),
            "DROP TRIGGER IF EXISTS portal_roleassignment_append_only ON portal_roleassignment;",
        ),
        migrations.RunSQL(
            TRIGGER.format(table="portal_auditevent"),
            "DROP TRIGGER IF EXISTS portal_auditevent_append_only ON portal_auditevent;",
        ),
        migrations.RunPython(seed_role_types, migrations.RunPython.noop),
    ]
