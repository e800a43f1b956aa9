"""A full-text index over report titles alone, for duplicate detection's text lookup.

The title's longest words, looked up in the full text index (title, description and steps),
match tens of thousands of reports at a million (the words of a flaw type appear in every report
of it) and took 30-40 ms; over titles alone the same lookup matches a few hundred, in a few ms,
and those are the reports that name the same thing. The expression must stay exactly what
`triage.duplicates._matching_titles` builds with SearchVector("title", config="english").
RunSQL on intake's table, like 0004/0009/0015.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":  # SQLite matches with LIKE over a window
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS report_title_search_idx ON intake_report "
            "USING GIN (to_tsvector('english'::regconfig, COALESCE(title, '')))"
        )


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS report_title_search_idx")


class Migration(migrations.Migration):
    dependencies = [("triage", "0015_queue_and_duplicate_indexes_at_scale")]

    operations = [migrations.RunPython(create, drop)]
