"""Background work of scoring: telling a vulnerability's followers, refreshing explanations."""

from django_tasks import task

from vulndesk.messaging.notifications import announce_exploitability_change, announce_priority_raised
from vulndesk.scoring.models import ExploitabilityAssessment, ScoreChange


@task()
def notify_exploitability_change(assessment_id: int, previous_priority: int | None) -> None:
    """Tell the vulnerability's followers (messaging) that its exploitability was reassessed.

    Takes the assessment id, so a run after a newer assessment does not announce an outdated one.
    """
    assessment = (
        ExploitabilityAssessment.objects.select_related("vulnerability__case", "assessed_by")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        return
    if assessment.vulnerability.exploitability.values_list("pk", flat=True).first() != assessment.pk:
        return
    announce_exploitability_change(assessment, previous_priority=previous_priority)


@task()
def notify_priority_raised(score_change_ids: list[int]) -> None:
    """Tell each vulnerability's followers (messaging) that its priority became more urgent.

    Takes the scoring history rows of the change; one the priority has moved on from since is not announced.
    """
    changes = ScoreChange.objects.filter(pk__in=score_change_ids, kind=ScoreChange.Kind.PRIORITY).select_related(
        "vulnerability__case", "changed_by"
    )
    for change in changes:
        vulnerability = change.vulnerability
        if vulnerability.priority is None or f"P{vulnerability.priority}" != change.new_value or not change.old_value:
            continue
        announce_priority_raised(
            vulnerability, previous=int(change.old_value.removeprefix("P")), reason=change.rationale,
            actor=change.changed_by,
        )  # fmt: skip


@task()
def refresh_priority_explanations() -> None:
    """An administrator changed a fix target: stored priority explanations name the new one."""
    # Imported here: services enqueues the tasks above, so it imports this module first.
    from vulndesk.scoring.services import refresh_priority_explanations as refresh  # noqa: PLC0415

    refresh()
