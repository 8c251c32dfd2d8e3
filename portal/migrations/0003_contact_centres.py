from django.db import migrations


def create_contact_centres(apps, schema_editor):
    from portal.seed import ensure_contact_centres

    ensure_contact_centres(apps.get_model("portal", "ContactCentre"))


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_postgres_extensions")]

    operations = [migrations.RunPython(create_contact_centres, migrations.RunPython.noop)]
