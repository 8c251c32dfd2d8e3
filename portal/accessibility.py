"""What the accessibility statement says we know does not work (yet), and when we said it.

The statement must be true: the browser tests fail on any axe-core violation and on
any page that scrolls sideways or clips its text, so nothing they can find is ever
listed here — it is fixed instead. What is listed is what no automated check can
settle. Change ``REVIEWED`` whenever this list or the tests behind it change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REVIEWED = dt.date(2026, 11, 30)


@dataclass(frozen=True)
class Shortcoming:
    what: str | Promise
    where: str | Promise
    workaround: str | Promise
    known_since: dt.date


KNOWN_SHORTCOMINGS: tuple[Shortcoming, ...] = (
    Shortcoming(
        what=_(
            "Files attached to cases (PDF, pictures, spreadsheets) are shown as they were "
            "uploaded. We do not check them for accessibility."
        ),
        where=_("Attachments on a case"),
        workaround=_(
            "Ask in the case for the content in another form, and we will write it in the case."
        ),
        known_since=dt.date(2026, 11, 30),
    ),
    Shortcoming(
        what=_("The fullmakt form must be printed, signed by hand and sent as a scanned copy."),
        where=_("The fullmakt form"),
        workaround=_(
            "If you cannot sign on paper, contact the customer centre: we will agree on "
            "another way to confirm the authority."
        ),
        known_since=dt.date(2026, 11, 30),
    ),
    Shortcoming(
        what=_(
            "The pages have been tested with automated checks and the keyboard, not yet by "
            "users of screen readers or screen magnifiers."
        ),
        where=_("All pages"),
        workaround=_("Tell us what does not work for you, and we will help you in another way."),
        known_since=dt.date(2026, 11, 30),
    ),
)
