# The idempotency record keeps the answer as it was sent: a replay is the same bytes
# (jsonb reordered its keys).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0012_audit_api_client_no_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="idempotentrequest",
            name="body",
            field=models.TextField(),
        ),
    ]
