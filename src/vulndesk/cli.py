"""The `vulndesk` command: Django's management commands under the project's own name.

`vulndesk user add`, `vulndesk token issue`, `vulndesk demo` and `vulndesk serve` are
management commands of the apps; everything Django offers (`migrate`, `check`, …) works too.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vulndesk.config.settings")
    # Imported after DJANGO_SETTINGS_MODULE is set, which Django reads at import time.
    from django.core.management import execute_from_command_line  # noqa: PLC0415

    execute_from_command_line(["vulndesk", *(sys.argv[1:] if argv is None else argv)])
