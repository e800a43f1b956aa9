"""`vulndesk user add EMAIL --role ROLE`: create an account from the command line."""

import secrets
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vulndesk.accounts.services import create_user
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Role


class Command(BaseCommand):
    help = "Manage user accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Create a user; the password comes from stdin or is generated.")
        add.add_argument("email")
        add.add_argument("--role", required=True, choices=[role.value for role in Role])
        add.add_argument("--name", default="", help="Display name.")
        add.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input (one line)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        generated = not options["password_stdin"]
        password = secrets.token_urlsafe(15) if generated else sys.stdin.readline().rstrip("\n")
        try:
            user = create_user(
                email=options["email"],
                role=Role(options["role"]),
                password=password,
                actor=None,
                display_name=options["name"],
            )
        except RuleViolation as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Created {user.email} ({user.get_role_display()}).")
        if generated:
            self.stdout.write(f"Password: {password}")
