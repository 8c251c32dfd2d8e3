"""Searching case titles: "contains", folded, fast for rare words too.

The title filter matches any part of the folded title (``cases.text``).
PostgreSQL answers ``title_folded LIKE '%word%'`` from the trigram index by
intersecting the index entries of every trigram in the word. For a long rare
word most of those trigrams are common ones ("ing", "tal", "ste"), each in
millions of titles: at five million cases the lookup of
"kvartalsavstemming" read 22 MB of index entries and took 85 ms, to find
46 cases.

So a long word is looked up by its rarest pieces only: the index is asked for
the titles holding each of the (at most) three rarest three-character pieces,
which is a superset of the answer (14 ms for the same word), and every
candidate is then checked for the whole word with ``strpos``, which the
index cannot serve and so is applied to the candidates only. The answer is
the same either way; only the work differs.

How common a piece is comes from a sample of the titles in ``TitleTrigram``
(``manage.py refresh_title_trigrams``). Without a sample, for short words
(three pieces or fewer are already what the index is asked for) and for
common words (where walking the list's own index in its order and checking
each title is faster than any index lookup), the plain ``LIKE`` is used.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import StrIndex

from cases.models import Case, TitleTrigram
from cases.text import fold

INDEX_PIECES = 3
# A word whose rarest piece is in more than 2 % of titles is common: the
# planner's walk of the list index finds a page of it quickly.
RARE_SHARE = 0.02
SAMPLE_ROWS = 50_000
SAMPLED = ""  # the TitleTrigram row that marks a sample as taken


def title_contains(queryset: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Cases whose folded title contains the folded ``text``."""
    folded = fold(text)
    pieces = rare_pieces(folded)
    if not pieces:
        return queryset.filter(title_folded__contains=folded)
    for piece in pieces:
        queryset = queryset.filter(title_folded__contains=piece)
    # The whole word, checked on the candidates (strpos is 1-based, 0 = absent).
    return queryset.alias(title_at=StrIndex("title_folded", Value(folded))).filter(title_at__gt=0)


def pieces_of(folded: str) -> set[str]:
    """The three-character pieces of ``folded`` that the trigram index holds as they are.

    pg_trgm splits text into words at characters that are not letters or
    digits, so only pieces made of those are looked up.
    """
    return {folded[i : i + 3] for i in range(len(folded) - 2) if folded[i : i + 3].isalnum()}


def rare_pieces(folded: str) -> list[str]:
    """The rarest pieces to ask the index for, or ``[]`` for the plain lookup."""
    pieces = pieces_of(folded)
    if len(pieces) <= INDEX_PIECES:
        return []
    shares = dict(
        TitleTrigram.objects.filter(trigram__in=[*pieces, SAMPLED]).values_list("trigram", "share")
    )
    if SAMPLED not in shares:
        return []
    # A piece missing from the sample is rarer than any in it.
    ranked = sorted(pieces, key=lambda piece: (shares.get(piece, 0.0), piece))
    if shares.get(ranked[0], 0.0) > RARE_SHARE:
        return []
    return ranked[:INDEX_PIECES]


def refresh_title_trigrams(sample_rows: int = SAMPLE_ROWS) -> int:
    """Sample about ``sample_rows`` titles and store how common each piece is.

    Returns the number of titles sampled. Each row is taken or not by chance
    (BERNOULLI), so titles written in the same days do not come in clumps;
    that reads the whole table, a few seconds at five million cases. Run it
    nightly (docs/configuration.md): a stale sample makes searches slower at
    worst, never wrong.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'cases_case'::regclass")
        estimate = float(cursor.fetchone()[0])
        if estimate <= 0:  # never analysed: count
            cursor.execute("SELECT count(*) FROM cases_case")
            estimate = float(cursor.fetchone()[0])
        percent = 100.0 if estimate <= sample_rows else 100.0 * sample_rows / estimate
        cursor.execute("DELETE FROM cases_titletrigram")
        cursor.execute(
            """
            WITH sample AS MATERIALIZED (
                SELECT title_folded AS title FROM cases_case TABLESAMPLE BERNOULLI (%s)
            ),
            total AS (SELECT count(*)::float8 AS n FROM sample),
            stored AS (
                INSERT INTO cases_titletrigram (trigram, share)
                SELECT piece, count(*) / total.n
                FROM total, sample,
                     LATERAL (
                         SELECT DISTINCT substr(title, i, 3) AS piece
                         FROM generate_series(1, length(title) - 2) AS i
                     ) AS pieces
                GROUP BY piece, total.n
                RETURNING 1
            )
            SELECT n::bigint, (SELECT count(*) FROM stored) FROM total
            """,
            [percent],
        )
        sampled = int(cursor.fetchone()[0])
        if not sampled:
            return 0
        TitleTrigram.objects.create(trigram=SAMPLED, share=1.0)
    return sampled
