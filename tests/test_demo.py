from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, TitleTrigram
from cases.search import SAMPLED
from portal.demo import DEMO_PASSWORD
from portal.models import Membership, RoleAssignment, User


def test_seed_demo_loads_once_and_is_idempotent(db: None, settings, tmp_path) -> None:
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    counts = (User.objects.count(), Membership.objects.count(), Case.objects.count())
    roles = RoleAssignment.objects.count()
    call_command("seed_demo")
    assert (User.objects.count(), Membership.objects.count(), Case.objects.count()) == counts
    assert RoleAssignment.objects.count() == roles
    assert Case.objects.count() >= 200
    assert Case.objects.order_by().values("status").distinct().count() == len(Case.Status)
    assert Case.objects.order_by().values("channel").distinct().count() == len(Case.Channel)
    mona = User.objects.get(username="mona")
    assert mona.memberships.count() == 2
    assert mona.check_password(DEMO_PASSWORD)
    # The title search's sample is taken, as production's nightly run does.
    assert TitleTrigram.objects.filter(trigram=SAMPLED).exists()


def test_seed_demo_refuses_without_debug(db: None) -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()
