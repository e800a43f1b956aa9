"""Indexes on intake's tables that duplicate detection reads: a product's latest reports and attachments by hash.

RunSQL, like 0004: they serve triage's queries, and intake's model state stays intake's.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS report_product_created_idx ON intake_report (product_id, created_at)",
    "CREATE INDEX IF NOT EXISTS attachment_sha256_idx ON intake_attachment (sha256)",
]
DROP = ["DROP INDEX IF EXISTS report_product_created_idx", "DROP INDEX IF EXISTS attachment_sha256_idx"]


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0008_duplicate_credit"),
        ("intake", "0004_attachment"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
