"""Indexes for the staff report list sorted by age (GET /reports, the queue's `age`/`-age`): one state, or none.

Without them a page of one state by age sorted every report in that state (250,000 "fixed" at a
million reports), and the unfiltered list every report: 0.3-1.7 s. RunSQL on intake's table,
like 0004/0009/0015/0016; both databases (a b-tree each), read forwards for `age` and backwards
for `-age`.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS report_state_created_idx ON intake_report (state, created_at, id)",
    "CREATE INDEX IF NOT EXISTS report_created_idx ON intake_report (created_at, id)",
]
DROP = ["DROP INDEX IF EXISTS report_state_created_idx", "DROP INDEX IF EXISTS report_created_idx"]


class Migration(migrations.Migration):
    dependencies = [("triage", "0016_report_title_search_index")]

    operations = [migrations.RunSQL(CREATE, DROP)]
