from django.contrib.postgres.operations import (
    BtreeGinExtension,
    TrigramExtension,
    UnaccentExtension,
)
from django.db import migrations


class Migration(migrations.Migration):
    """Extensions the case list needs.

    pg_trgm: trigram indexes, so "contains" searches on titles use an index.
    btree_gin: lets one GIN index combine the organisation (a plain column)
    with a trigram title, so a search stays inside one organisation.
    unaccent: folding accents for text search where Norwegian rules allow it.
    """

    dependencies = [("portal", "0001_initial")]

    operations = [TrigramExtension(), BtreeGinExtension(), UnaccentExtension()]
