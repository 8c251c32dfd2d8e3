"""manage.py dev_issuer serve | token: a Maskinporten-like issuer for development.

``serve`` publishes the issuer's metadata and keys at MASKINPORTEN_ISSUER
(under ``make run``: http://127.0.0.1:8001/); ``token`` prints an access token
for a client of an organisation, signed with the same key (kept in
``var/dev-issuer/key.pem``), to try the API with curl. Only with DEBUG on.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.demo import DEMO_API_CLIENT_ID, org_number
from portal.dev_issuer import DevIssuer, stored_key

DEMO_ORGANISATION = org_number("97400001")  # Fjordetaten in the demo data


class Command(BaseCommand):
    help = "A Maskinporten-like token issuer for development: serve its keys, or print a token."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("serve", help="Publish the metadata and keys at MASKINPORTEN_ISSUER.")
        token = actions.add_parser("token", help="Print an access token.")
        token.add_argument("--org", default=DEMO_ORGANISATION, help="Organisation number.")
        token.add_argument("--client", default=DEMO_API_CLIENT_ID, help="The client id.")
        token.add_argument("--scope", default=" ".join(settings.MASKINPORTEN_SCOPES))
        token.add_argument("--minutes", type=int, default=60, help="How long it is valid.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The development issuer runs only with DEBUG on.")
        if not settings.MASKINPORTEN_ISSUER:
            raise CommandError("Set MASKINPORTEN_ISSUER to the address to serve it at.")
        issuer = DevIssuer(
            url=settings.MASKINPORTEN_ISSUER,
            key=stored_key(settings.VAR_DIR / "dev-issuer" / "key.pem"),
        )
        if options["action"] == "token":
            self.stdout.write(
                issuer.mint(
                    org_number=options["org"],
                    client_id=options["client"],
                    scope=options["scope"],
                    seconds=options["minutes"] * 60,
                )
            )
            return
        address = urlsplit(settings.MASKINPORTEN_ISSUER)
        issuer.serve(address.hostname or "127.0.0.1", address.port or 80)
        issuer.url = settings.MASKINPORTEN_ISSUER  # as the tokens name it
        self.stdout.write(f"Development token issuer at {issuer.url} (key id {issuer.kid})")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            issuer.stop()
