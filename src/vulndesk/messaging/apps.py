from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "vulndesk.messaging"
    verbose_name = "Messaging"
