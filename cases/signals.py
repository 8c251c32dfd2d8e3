"""Keep the names copied onto cases in step when a person's name changes."""

from __future__ import annotations

from typing import Any

from cases.models import Case
from portal.models import User


def copy_name_to_cases(sender: type[User], instance: User, **kwargs: Any) -> None:
    name = str(instance)
    Case.objects.filter(reported_by=instance).exclude(reporter_name=name).update(reporter_name=name)
    Case.objects.filter(assigned_to=instance).exclude(assignee_name=name).update(assignee_name=name)
