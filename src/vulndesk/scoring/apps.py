from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ScoringConfig(AppConfig):
    name = "vulndesk.scoring"
    label = "scoring"
    verbose_name = "Scoring: vulnerabilities, CVSS and severity"

    def ready(self) -> None:
        # Imported here: the receivers use models, which are not loaded before ready().
        from vulndesk.intake.signals import report_prepared  # noqa: PLC0415
        from vulndesk.scoring import receivers  # noqa: PLC0415
        from vulndesk.scoring.models import BugBarRule  # noqa: PLC0415
        from vulndesk.triage.models import SlaTarget  # noqa: PLC0415
        from vulndesk.triage.signals import report_joined_case  # noqa: PLC0415

        report_prepared.connect(receivers.report_prepared, dispatch_uid="scoring.report_prepared")
        report_joined_case.connect(receivers.report_joined_case, dispatch_uid="scoring.report_joined_case")
        post_save.connect(receivers.fix_target_changed, sender=SlaTarget, dispatch_uid="scoring.fix_target_saved")
        post_delete.connect(receivers.fix_target_changed, sender=SlaTarget, dispatch_uid="scoring.fix_target_deleted")
        post_save.connect(receivers.bug_bar_changed, sender=BugBarRule, dispatch_uid="scoring.bug_bar_saved")
        post_delete.connect(receivers.bug_bar_changed, sender=BugBarRule, dispatch_uid="scoring.bug_bar_deleted")
