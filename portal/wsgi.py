from __future__ import annotations

import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Django runs its system checks before management commands (runserver, migrate), not
# under a WSGI server. Run them here too, without the database ones, so a configuration
# that cannot work (e.g. half an OIDC configuration) stops the start, not the first login.
_errors = [error for error in checks.run_checks() if error.is_serious() and not error.is_silenced()]
if _errors:
    raise ImproperlyConfigured(
        "System check identified errors:\n" + "\n".join(str(error) for error in _errors)
    )
