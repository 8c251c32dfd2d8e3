"""Strings of Django's own admin that its Norwegian catalogues lack (Django 5.2).

Django's nb and nn catalogues for ``django.contrib.admin`` and ``django.contrib.auth``
leave these untranslated or fuzzy, so staff would read English ("Show counts") in
an otherwise Norwegian admin. Listing them here lets ``makemessages`` collect them
into our catalogue, which LOCALE_PATHS puts before Django's; the translations are
ours. Nothing imports this module. ``tests/test_admin_language.py`` fails when a
Django upgrade brings a string that neither catalogue translates; add it here.

The admin's JavaScript strings (calendar, selection counts) are in
``locale/{nb,nn}/LC_MESSAGES/djangojs.po`` (see docs/desk-tidy.md).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_ADMIN_STRINGS = (
    # Django's nb/nn catalogues have this as a singular msgid; the admin asks ngettext.
    ngettext_lazy("Please correct the error below.", "Please correct the errors below."),  # admin
    gettext_noop("Select this object for an action - {}"),  # admin
    gettext_noop("Breadcrumbs"),  # admin
    gettext_noop("Model name"),  # admin
    gettext_noop("Add link"),  # admin
    gettext_noop("Change or view list link"),  # admin
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),  # admin
    gettext_noop("Error:"),  # admin
    gettext_noop("Set password"),  # admin
    gettext_noop(
        "This action will <strong>enable</strong> password-based authentication for this user."
    ),  # admin
    gettext_noop("Disable password-based authentication"),  # admin
    gettext_noop("Enable password-based authentication"),  # admin
    gettext_noop("Skip to main content"),  # admin
    gettext_noop("Hide counts"),  # admin
    gettext_noop("Show counts"),  # admin
    gettext_noop("Toggle theme (current theme: auto)"),  # admin
    gettext_noop("Toggle theme (current theme: light)"),  # admin
    gettext_noop("Toggle theme (current theme: dark)"),  # admin
    gettext_noop("Added:"),  # admin
    gettext_noop("Changed:"),  # admin
    gettext_noop("Deleted:"),  # admin
    gettext_noop("Forgotten your login credentials?"),  # admin
    gettext_noop("Sidebar"),  # admin
    gettext_noop("Start typing to filter…"),  # admin
    gettext_noop("Filter navigation items"),  # admin
    ngettext_lazy("entry", "entries"),  # admin
    gettext_noop("View selected %(model)s"),  # admin
    gettext_noop("Thanks for spending some quality time with the web site today."),  # admin
    gettext_noop("In case you’ve forgotten, you are:"),  # admin
    gettext_noop("Select all objects on this page for an action"),  # admin
    gettext_noop("Conflicting form data submitted. Please try again."),  # auth
    gettext_noop("Password-based authentication was disabled."),  # auth
    gettext_noop("Set password: %s"),  # auth
    gettext_noop("Reset password"),  # auth
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, "
        "they may still be able to authenticate using other backends, such as Single Sign-On "
        "or LDAP."
    ),  # auth
    gettext_noop("Password-based authentication"),  # auth
    gettext_noop("Enabled"),  # auth
    gettext_noop("Disabled"),  # auth
    gettext_noop(
        "Raw passwords are not stored, so there is no way to see the user’s password."
    ),  # auth
    gettext_noop(
        "Enable password-based authentication for this user by setting a password."
    ),  # auth
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),  # auth
    gettext_noop(
        "Enter a valid username. This value may contain only unaccented lowercase a-z and "
        "uppercase A-Z letters, numbers, and @/./+/-/_ characters."
    ),  # auth
)
