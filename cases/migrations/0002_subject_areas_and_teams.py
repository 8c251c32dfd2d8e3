from django.db import migrations


# The subject areas and the teams as they were when this migration was written (frozen:
# cases/seed.py may change; post_migrate fills in what it adds).
SUBJECT_AREAS = [
    ("lonn", "Lønnskjøring", "Payroll run", 10),
    ("lonn", "Reiseregning og utlegg", "Travel and expenses", 20),
    ("lonn", "Skatt og A-melding", "Tax and A-melding", 30),
    ("lonn", "Fravær og permisjon", "Absence and leave", 40),
    ("lonn", "Pensjon og SPK", "Pension", 50),
    ("lonn", "Tilganger og roller lønn", "Payroll access and roles", 60),
    ("lonn", "Annet lønn", "Other payroll", 90),
    ("regnskap", "Fakturabehandling", "Invoice processing", 10),
    ("regnskap", "Bokføring og avstemming", "Bookkeeping and reconciliation", 20),
    ("regnskap", "Årsoppgjør", "Year-end closing", 30),
    ("regnskap", "Rapportering", "Reporting", 40),
    ("regnskap", "Tilganger og roller regnskap", "Accounting access and roles", 60),
    ("regnskap", "Annet regnskap", "Other accounting", 90),
]

# Support staff are grouped by area: each team works the cases of its category.
TEAMS = {"lonn": "Team lønn", "regnskap": "Team regnskap"}
TEAM_PERMISSIONS = [
    ("cases", "case", ["view", "add", "change"]),
    ("cases", "message", ["view", "add"]),
    ("cases", "attachment", ["view", "add"]),
    ("cases", "statuschange", ["view"]),
    ("cases", "subjectarea", ["view"]),
    ("portal", "organisation", ["view"]),
    ("portal", "membership", ["view"]),
    ("portal", "roleassignment", ["view", "add"]),
    ("portal", "auditevent", ["view"]),
    ("portal", "feedback", ["view"]),
    ("portal", "user", ["view"]),
]


def seed(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    SubjectArea = apps.get_model("cases", "SubjectArea")
    for category, name_nb, name_en, position in SUBJECT_AREAS:
        SubjectArea.objects.get_or_create(
            category=category, name_nb=name_nb, defaults={"name_en": name_en, "position": position}
        )
    # Permissions are normally created after all migrations; the teams need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in TEAMS.values():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in TEAM_PERMISSIONS:
            codenames = [f"{action}_{model}" for action in actions]
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("portal", "0005_append_only_and_role_types"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
