from django.db import migrations

TRIGGER = """
CREATE TRIGGER access_accessgrant_append_only
BEFORE UPDATE OR DELETE ON access_accessgrant
FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();
"""


# code, area, name_nb, name_en, description_nb, description_en, roles
CATALOGUE = [
    (
        "lonnssystem",
        "lonn",
        "Lønnssystemet",
        "The payroll system",
        "Registrering av lønn, trekk og fravær, og lønnskjøring.",
        "Registering pay, deductions and absence, and running payroll.",
        [
            (
                "lonnsmedarbeider",
                "Lønnsmedarbeider",
                "Payroll officer",
                "Registrerer og kontrollerer lønnsdata.",
            ),
            ("lonnsleder", "Lønnsleder", "Payroll manager", "Godkjenner lønnskjøringer."),
            ("rapportleser-lonn", "Rapportleser lønn", "Payroll report reader", "Leser rapporter."),
        ],
    ),
    (
        "reise-og-utlegg",
        "lonn",
        "Reise og utlegg",
        "Travel and expenses",
        "Reiseregninger og utleggsrefusjoner.",
        "Travel claims and expense refunds.",
        [
            ("attestant-reise", "Attestant reise", "Travel approver", "Attesterer reiseregninger."),
            (
                "godkjenner-reise",
                "Godkjenner reise",
                "Travel authoriser",
                "Godkjenner reiseregninger.",
            ),
        ],
    ),
    (
        "regnskapssystem",
        "regnskap",
        "Regnskapssystemet",
        "The accounting system",
        "Bokføring, fakturabehandling og rapportering.",
        "Bookkeeping, invoice processing and reporting.",
        [
            ("attestant", "Attestant", "Certifier", "Attesterer fakturaer."),
            ("budsjettdisponent", "Budsjettdisponent", "Budget holder", "Godkjenner fakturaer."),
            ("regnskapsmedarbeider", "Regnskapsmedarbeider", "Accounting officer", "Bokfører."),
            (
                "rapportleser-regnskap",
                "Rapportleser regnskap",
                "Accounting report reader",
                "Leser rapporter.",
            ),
        ],
    ),
    (
        "kundesenter",
        "kundesenter",
        "Kundesenter på nett",
        "The online customer centre",
        "Utvidet tilgang: se alle virksomhetens saker i et område.",
        "Extended access: see all the organisation's cases in an area.",
        [
            (
                "utvidet-tilgang-lonn",
                "Utvidet tilgang lønn",
                "Extended access, payroll",
                "Ser alle lønnssaker.",
            ),
            (
                "utvidet-tilgang-regnskap",
                "Utvidet tilgang regnskap",
                "Extended access, accounting",
                "Ser alle regnskapssaker.",
            ),
        ],
    ),
]


def seed_catalogue(apps, schema_editor):
    # The catalogue as it was when this migration was written (frozen: the seed
    # modules may change; post_migrate fills in what they add). The role types it
    # names come from portal 0005, which this migration depends on.
    RoleType = apps.get_model("portal", "RoleType")
    System = apps.get_model("access", "System")
    SystemRole = apps.get_model("access", "SystemRole")
    for position, (code, area, name_nb, name_en, desc_nb, desc_en, roles) in enumerate(CATALOGUE):
        system, _ = System.objects.get_or_create(
            code=code,
            defaults={
                "area": area,
                "name_nb": name_nb,
                "name_en": name_en,
                "description_nb": desc_nb,
                "description_en": desc_en,
                "position": position * 10,
            },
        )
        for role_position, (role_code, role_nb, role_en, role_desc) in enumerate(roles):
            register_role = (
                RoleType.objects.filter(code=role_code).first() if area == "kundesenter" else None
            )
            SystemRole.objects.get_or_create(
                system=system,
                code=role_code,
                defaults={
                    "name_nb": role_nb,
                    "name_en": role_en,
                    "description_nb": role_desc,
                    "position": role_position * 10,
                    "register_role": register_role,
                },
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
