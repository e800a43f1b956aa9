"""The starting library of canned responses and which state changes send one.

Re-runnable: existing templates (by key) and automatic messages (by state) are left as they are.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TEMPLATES = [
    (
        "acknowledgment",
        "Acknowledgment",
        "Thank you for reporting {report_id} about {product}. A security analyst is reviewing it now; "
        "we will write here as soon as we know more. Please keep the details confidential until a fix is available.",
    ),
    (
        "needs-info",
        "Needs more information",
        "To reproduce {report_id} we need a little more from you: the exact version of {product}, the steps or "
        "proof of concept you used, and what you observed. Please reply here or to this email.",
    ),
    (
        "not-a-vulnerability",
        "Not a vulnerability",
        "Thank you for {report_id}. After review we concluded that the behaviour you describe in {product} is not a "
        "security vulnerability, so we are closing the report. If you see it differently, reply with what we missed "
        "and we will look again.",
    ),
    (
        "duplicate",
        "Duplicate",
        "Thank you for {report_id}. The issue was already reported to us and is being handled under an earlier "
        "report, so we are closing this one as a duplicate.",
    ),
    (
        "confirmed",
        "Confirmed",
        "We reproduced {report_id} in {product} and confirmed it as a vulnerability. Our engineers are working on a "
        "fix; we will tell you the release date here once it is scheduled. Thank you for your patience and for "
        "keeping the details private until then.",
    ),
    (
        "fix-scheduled",
        "Fix scheduled for a release",
        "The fix for {report_id} is scheduled for the security release on {release_date}. Please coordinate any "
        "publication of your own with that date.",
    ),
    (
        "published-with-cve",
        "Published with CVE",
        "The fix for {report_id} is released and the advisory is published ({cve}). Thank you for working with us.",
    ),
    (
        "thanks-and-credit",
        "Thanks and credit",
        "Thank you, {researcher_name}, for reporting {report_id} responsibly. We will credit you in the advisory "
        "as you asked when you submitted the report.",
    ),
]
# Sent on these state changes from the start; admins switch each on or off.
AUTOMATIC = [
    ("triaging", "acknowledgment", True),
    ("needs_info", "needs-info", False),
    ("not_vulnerability", "not-a-vulnerability", False),
    ("duplicate", "duplicate", False),
    ("confirmed", "confirmed", True),
    ("fixed", "published-with-cve", True),
]


def add_defaults(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    template_model = apps.get_model("messaging", "ResponseTemplate")
    version_model = apps.get_model("messaging", "ResponseTemplateVersion")
    automatic_model = apps.get_model("messaging", "AutomaticMessage")
    for key, name, body in TEMPLATES:
        template, created = template_model.objects.get_or_create(key=key, defaults={"name": name, "body": body})
        if created:
            version_model.objects.create(template=template, version=1, body=body)
    for state, key, enabled in AUTOMATIC:
        automatic_model.objects.get_or_create(
            state=state, defaults={"template": template_model.objects.get(key=key), "is_enabled": enabled}
        )


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_canned_responses")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
