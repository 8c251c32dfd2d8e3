"""manage.py dev_issuer serve | client | grant | token: a Maskinporten-like issuer for
development.

``serve`` publishes the issuer's metadata and keys at MASKINPORTEN_ISSUER (under
``make run``: http://127.0.0.1:8001/) and answers its token endpoint; ``client``
registers a client of an organisation with a key of its own, as an agency does in
Maskinporten (the demo's HR system is registered when the issuer starts); ``grant``
prints the JWT grant that client signs to ask the token endpoint for a token, as a
system does; ``token`` skips that and prints an access token directly, signed with
the issuer's key (kept in ``var/dev-issuer/key.pem``). Only with DEBUG on.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.demo import DEMO_API_CLIENT_ID, org_number
from portal.dev_issuer import DevIssuer, make_grant, read_client, stored_key, write_client

DEMO_ORGANISATION = org_number("97400001")  # Fjordetaten in the demo data


class Command(BaseCommand):
    help = "A Maskinporten-like token issuer for development: serve its keys, or print a token."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "serve", help="Serve the metadata, keys and /token at MASKINPORTEN_ISSUER."
        )
        client = actions.add_parser("client", help="Register a client with a key of its own.")
        client.add_argument("--org", default=DEMO_ORGANISATION, help="Organisation number.")
        client.add_argument("--client", default=DEMO_API_CLIENT_ID, help="The client id.")
        client.add_argument("--scope", default=" ".join(settings.MASKINPORTEN_SCOPES))
        grant = actions.add_parser("grant", help="Print the JWT grant a client sends to /token.")
        grant.add_argument("--client", default=DEMO_API_CLIENT_ID, help="The client id.")
        grant.add_argument("--scope", default=" ".join(settings.MASKINPORTEN_SCOPES))
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
        clients = settings.VAR_DIR / "dev-issuer" / "clients"
        issuer = DevIssuer(
            url=settings.MASKINPORTEN_ISSUER,
            key=stored_key(settings.VAR_DIR / "dev-issuer" / "key.pem"),
            clients_dir=clients,
        )
        if options["action"] == "client":
            try:
                made = write_client(
                    clients, options["client"], options["org"], options["scope"].split()
                )
            except ValueError as problem:
                raise CommandError(str(problem)) from None
            self.stdout.write(
                f"Client {made.client_id} of {made.org_number} (key id {made.kid}), "
                f"key in {clients / (made.client_id + '.pem')}"
            )
            return
        if options["action"] == "grant":
            found = read_client(clients, options["client"])
            if found is None:
                raise CommandError(
                    f"No client {options['client']}: register it with "
                    f"'manage.py dev_issuer client --client {options['client']} --org NUMBER'."
                )
            self.stdout.write(
                make_grant(
                    client_id=found.client_id,
                    key=stored_key(clients / f"{found.client_id}.pem"),
                    audience=settings.MASKINPORTEN_ISSUER,
                    scope=options["scope"],
                )
            )
            return
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
        if read_client(clients, DEMO_API_CLIENT_ID) is None:  # the demo's HR system
            write_client(
                clients, DEMO_API_CLIENT_ID, DEMO_ORGANISATION, list(settings.MASKINPORTEN_SCOPES)
            )
        address = urlsplit(settings.MASKINPORTEN_ISSUER)
        issuer.serve(address.hostname or "127.0.0.1", address.port or 80)
        issuer.url = settings.MASKINPORTEN_ISSUER  # as the tokens name it
        self.stdout.write(f"Development token issuer at {issuer.url} (key id {issuer.kid})")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            issuer.stop()
