"""`vulndesk pgp init|import|show`: the organisation's OpenPGP key in the data folder."""

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vulndesk.intake import orgkey


class Command(BaseCommand):
    help = "Create, import or show the organisation's OpenPGP key (GnuPG keyring in the data folder)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        init = actions.add_parser("init", help="Generate a new key pair.")
        init.add_argument("--name", default=None, help="Key owner name (default: the organisation name).")
        init.add_argument("--email", default=None, help="Key email (default: VULNDESK_FROM_EMAIL).")
        take = actions.add_parser("import", help="Import an existing secret key (ASCII armor, no passphrase).")
        take.add_argument("file", help="File with the armored secret key, or - for standard input.")
        actions.add_parser("show", help="Print the fingerprint and the public key.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "init":
                fingerprint = orgkey.create_key(
                    name=options["name"] or settings.ORGANIZATION_NAME,
                    email=options["email"] or settings.DEFAULT_FROM_EMAIL,
                )
                self.stdout.write(f"Created the organisation key {fingerprint}.")
            elif options["action"] == "import":
                text = sys.stdin.read() if options["file"] == "-" else Path(options["file"]).read_text()
                fingerprint = orgkey.import_key(text)
                self.stdout.write(f"Imported the organisation key {fingerprint}.")
            else:
                fingerprint = orgkey.fingerprint() or ""
                if not fingerprint:
                    raise orgkey.OrgKeyError("There is no organisation key yet; run `vulndesk pgp init`.")
                self.stdout.write(f"Fingerprint: {fingerprint}")
                self.stdout.write(orgkey.public_key())
        except (orgkey.OrgKeyError, OSError) as error:
            raise CommandError(str(error)) from None
        if options["action"] != "show":
            self.stdout.write(f"Public key: {settings.BASE_URL}/.well-known/openpgp-key.asc")
