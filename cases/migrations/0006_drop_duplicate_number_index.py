from django.db import migrations


class Migration(migrations.Migration):
    """Django already makes a varchar_pattern_ops index for the unique number
    (cases_case_number_..._like), which serves "number starts with"; the one
    added in 0003 only cost writes."""

    dependencies = [
        ("cases", "0005_covering_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_number_prefix",
        ),
    ]
