from django.db import migrations


def seed(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from cases.seed import ensure_subject_areas, ensure_teams

    ensure_subject_areas(apps.get_model("cases", "SubjectArea"))
    # Permissions are normally created after all migrations; the teams need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    ensure_teams(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("portal", "0005_append_only_and_role_types"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
