from django.db import migrations


def create_contact_centres(apps, schema_editor):
    ContactCentre = apps.get_model("portal", "ContactCentre")
    centres = [
        {
            "area": "lonn",
            "name_nb": "Kundesenter for lønn",
            "name_en": "Payroll customer centre",
            "phone": "+47 400 07 997",
            "email": "lonn@kundesenter.example",
            "opening_hours_nb": "Hverdager 08.00–15.30",
            "opening_hours_en": "Weekdays 08:00–15:30",
        },
        {
            "area": "regnskap",
            "name_nb": "Kundesenter for regnskap",
            "name_en": "Accounting customer centre",
            "phone": "+47 400 07 998",
            "email": "regnskap@kundesenter.example",
            "opening_hours_nb": "Hverdager 08.00–15.30",
            "opening_hours_en": "Weekdays 08:00–15:30",
        },
    ]
    for centre in centres:
        ContactCentre.objects.get_or_create(area=centre["area"], defaults=centre)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_postgres_extensions")]

    operations = [migrations.RunPython(create_contact_centres, migrations.RunPython.noop)]
