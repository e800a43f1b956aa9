"""`vulndesk threat import kev FILE` and `vulndesk threat import epss FILE`: threat data, offline."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vulndesk.scoring.models import ThreatImport
from vulndesk.scoring.services import import_epss, import_kev
from vulndesk.scoring.threat_files import ThreatFileError, parse_epss, parse_kev


class Command(BaseCommand):
    help = (
        "Import CISA's KEV catalog (JSON) or FIRST's EPSS scores (CSV, gzip or plain) from a file. "
        "The whole file is checked first: one bad line and nothing is imported. Importing again is harmless."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        importing = actions.add_parser("import", help="Import a file.")
        importing.add_argument("kind", choices=["kev", "epss"])
        importing.add_argument("file", type=Path, help="known_exploited_vulnerabilities.json or epss_scores-*.csv[.gz]")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        kind = options["kind"]
        self.stderr.write(f"Reading {path} …")
        try:
            with path.open("rb") as stream:
                if kind == "kev":
                    record = import_kev(parse_kev(stream.read()), file_name=path.name, actor=None)
                else:
                    scores = parse_epss(stream, progress=self._progress)
                    self.stderr.write(f"  {len(scores.rows):,} rows read and checked; writing …")
                    record = import_epss(scores, file_name=path.name, actor=None)
        except ThreatFileError as error:
            raise CommandError(f"{path}: {error}. Nothing was imported.") from None
        self.stdout.write(summary(record))

    def _progress(self, rows: int) -> None:
        self.stderr.write(f"  {rows:,} rows read …")
        sys.stderr.flush()


def summary(record: ThreatImport) -> str:
    dated = f" dated {record.data_date}" if record.data_date else ""
    return (
        f"Imported {record.rows:,} {record.get_kind_display()} rows{dated} in {record.seconds:.1f} s: "
        f"{record.created:,} new, {record.updated:,} updated; "
        f"{record.matched_vulnerabilities:,} of our vulnerabilities match and were re-prioritized."
    )
