from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "vulndesk.messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Imported here: the receivers use models, which are not loaded before ready().
        from vulndesk.intake.signals import report_submitted  # noqa: PLC0415
        from vulndesk.messaging import receivers  # noqa: PLC0415

        report_submitted.connect(receivers.report_submitted, dispatch_uid="messaging.report_submitted")
