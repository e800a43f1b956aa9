"""`vulndesk token issue EMAIL` and `vulndesk token revoke PREFIX`: API tokens from the command line."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vulndesk.accounts.models import ApiToken, User
from vulndesk.accounts.services import issue_token, revoke_token


class Command(BaseCommand):
    help = "Issue or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        issue = actions.add_parser("issue", help="Issue a token; it is printed once and cannot be shown again.")
        issue.add_argument("email")
        issue.add_argument("--name", default="command line", help="What the token is for.")
        issue.add_argument("--days", type=int, default=None, help="Expire after this many days (default: never).")
        revoke = actions.add_parser("revoke", help="Revoke a token by its visible prefix.")
        revoke.add_argument("prefix")
        actions.add_parser("list", help="List tokens with their prefix, owner and last use.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "issue":
            user = User.objects.filter(email=options["email"].strip().lower()).first()
            if user is None:
                raise CommandError(f"No user {options['email']}; create one with `vulndesk user add`.")
            if options["days"] is not None and options["days"] < 1:
                raise CommandError("--days must be at least 1.")
            lifetime = timedelta(days=options["days"]) if options["days"] else None
            issued = issue_token(user, name=options["name"], actor=None, lifetime=lifetime)
            self.stdout.write(issued.secret)
            self.stderr.write("Keep this token safe: it is shown only once.")
        elif options["action"] == "revoke":
            matches = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
            if len(matches) != 1:
                raise CommandError(
                    f"{len(matches)} active tokens have the prefix {options['prefix']!r}; need exactly 1."
                )
            revoke_token(matches[0], actor=None)
            self.stdout.write(f"Revoked {matches[0]}.")
        else:
            for token in ApiToken.objects.select_related("user"):
                status = "revoked" if token.is_revoked else "active"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(f"{token.prefix}  {token.user.email}  {token.name}  {status}  last used {used}")
