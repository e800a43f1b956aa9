"""Full-text search now covers the steps to reproduce too (intake 0003 added the field).

The expression must stay exactly what `triage.selectors._search` builds with SearchVector.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

WITH_STEPS = (
    "CREATE INDEX report_search_idx ON intake_report USING GIN (to_tsvector('english'::regconfig, "
    "COALESCE(title, '') || ' ' || COALESCE(description, '') || ' ' || COALESCE(steps_to_reproduce, '')))"
)
WITHOUT_STEPS = (
    "CREATE INDEX report_search_idx ON intake_report USING GIN "
    "(to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, '')))"
)


def _replace(schema_editor: BaseDatabaseSchemaEditor, statement: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite searches with LIKE; there is no index to change
    schema_editor.execute("DROP INDEX IF EXISTS report_search_idx")
    schema_editor.execute(statement)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _replace(schema_editor, WITH_STEPS)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _replace(schema_editor, WITHOUT_STEPS)


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0004_report_queue_indexes"),
        ("intake", "0003_report_add_submission_details"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
