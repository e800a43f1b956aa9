"""Background work of scoring."""

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from vulndesk.scoring.models import ExploitabilityAssessment


@task()
def notify_exploitability_change(assessment_id: int) -> None:
    """Tell the people following the case that a vulnerability's exploitability assessment changed.

    Followers are the case owner and the email addresses of the teams on the case. Takes the
    assessment id, so a retry after a newer assessment does not announce an outdated one.
    """
    assessment = (
        ExploitabilityAssessment.objects.select_related("vulnerability__case__owner", "assessed_by")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        return
    vulnerability = assessment.vulnerability
    if vulnerability.exploitability.values_list("pk", flat=True).first() != assessment.pk:
        return
    case = vulnerability.case
    recipients = {team.email for team in case.teams.all() if team.email}
    if case.owner is not None:
        recipients.add(case.owner.email)
    if not recipients:
        return
    send_mail(
        subject=f"[{vulnerability.reference}] Exploitability: {assessment.get_latest_release_display()}",
        message=(
            f"{assessment.assessed_by} reassessed {vulnerability.reference} ({vulnerability.title}) in "
            f"{case.reference}:\n\n"
            f"  Latest release: {assessment.get_latest_release_display()}\n"
            f"  Older releases: {assessment.get_older_releases_display()}\n"
            f"  Publicly disclosed: {'yes' if assessment.is_publicly_disclosed else 'no'}\n"
            f"  Exploited: {'yes' if assessment.is_exploited else 'no'}\n\n"
            f"Why: {assessment.rationale or '(no rationale given)'}\n\n"
            f"{settings.BASE_URL}/vulnerabilities/{vulnerability.pk}/\n\n— {settings.ORGANIZATION_NAME}"
        ),
        from_email=None,
        recipient_list=sorted(recipients),
    )
