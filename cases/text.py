"""Norwegian-aware text folding for search and sorting, in SQL and in Python.

Search ignores case and accents the way a Norwegian expects: "lønn" finds
"LØNN" and "Lønnsoppgjør", "e" finds "é", but "o" never finds "ø" and "a"
never finds "å", because æ, ø and å are letters of their own, not accented
a and o. (PostgreSQL's ``unaccent`` folds ø to o, which is why it is not
used for this.) The Swedish/German ä and ö fold to their Norwegian twins æ
and ø, so "Björn" is found by "bjørn".

Sorting puts æ, ø, å after z, in that order, whatever the database
collation, by mapping them to the three characters that follow "z" in code
point order ("{", "|", "}").

The SQL functions are made by migration cases 0003, which holds their text
(a change to them is a new migration); they are IMMUTABLE, so indexes can be
built on them. ``fold`` and ``sort_key`` below mirror ``ks_fold`` and
``ks_sortkey`` for tests and Python-side use.
"""

from __future__ import annotations

from django.db.models import F, Func, IntegerField, TextField
from django.db.models.expressions import Combinable

FOLD_FROM = "ÆØÅÄÖÉÈÊËÁÀÂÓÒÔÜÚÙÛÍÌÎÏÇäöéèêëáàâóòôüúùûíìîïç"
FOLD_TO = "æøåæøeeeeaaaooouuuuiiiicæøeeeeaaaooouuuuiiiic"
assert len(FOLD_FROM) == len(FOLD_TO)
SORT_FROM = "æøå"
SORT_TO = "{|}"

_FOLD_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)
_SORT_TABLE = str.maketrans(SORT_FROM, SORT_TO)


def fold(value: str) -> str:
    """Python's twin of ``ks_fold`` (for values PostgreSQL lowercases the same way)."""
    return value.lower().translate(_FOLD_TABLE)


def sort_key(value: str) -> str:
    """Python's twin of ``ks_sortkey``: folded, with æ, ø, å after z."""
    return fold(value).translate(_SORT_TABLE)


# The SQL functions are plain ``Func``s, not subclasses: an index on one (cases/models.py)
# is then written into its migration as ``models.Func(...)``, and the migration holds
# the expression itself instead of importing this module (tests/test_migrations.py).
# They keep the capitalised names of the expression classes they were, and read
# like Django's own (Lower, Concat) where they are used.


def _of(expression: str | Combinable) -> Combinable:
    return F(expression) if isinstance(expression, str) else expression


def Fold(expression: str | Combinable) -> Func:
    """``ks_fold(expression)``: folded for search."""
    return Func(_of(expression), function="ks_fold", output_field=TextField())


def SortKey(expression: str | Combinable) -> Func:
    """``ks_sortkey(expression)``: folded, with æ, ø, å after z."""
    return Func(_of(expression), function="ks_sortkey", output_field=TextField())


def StatusRank(expression: str | Combinable) -> Func:
    """``ks_status_rank(expression)``: a status's place in the workflow (aktiv first)."""
    return Func(_of(expression), function="ks_status_rank", output_field=IntegerField())


def OsloYear(expression: str | Combinable) -> Func:
    """The Oslo calendar year of a moment, as an integer (IMMUTABLE, so indexable).

    Django turns ``ExtractYear(...) == y`` into a date range, which an index on
    the year cannot serve; this is the expression itself.
    """
    return Func(
        _of(expression),
        template="(EXTRACT(YEAR FROM (%(expressions)s AT TIME ZONE 'Europe/Oslo')))::integer",
        output_field=IntegerField(),
    )
