"""Django's admin with the support desk's site (portal/desk_site.py) as ``admin.site``.

A module of its own: INSTALLED_APPS loads it before any model exists.
"""

from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    default_site = "portal.desk_site.DeskSite"
