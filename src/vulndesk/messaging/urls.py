from django.urls import URLPattern, path

from vulndesk.messaging import views

urlpatterns: list[URLPattern] = [
    path("reports/<int:report_id>/messages/", views.report_messages, name="report_messages"),
    path("cases/<int:case_id>/messages/", views.case_messages, name="case_messages"),
    path("cases/<int:case_id>/partners/", views.case_partners, name="case_partners"),
    path(
        "cases/<int:case_id>/partners/<int:organization_id>/sharing/",
        views.case_partner_sharing,
        name="case_partner_sharing",
    ),
    path("partner/", views.partner_cases, name="partner_cases"),
    path("partner/cases/<int:case_id>/", views.partner_case, name="partner_case"),
    path("messages/<int:message_id>/edit/", views.message_edit, name="message_edit"),
    path("reports/track/<str:token>/messages/", views.tracked_message_post, name="tracked_message_post"),
    path(
        "reports/track/<str:token>/messages/<int:message_id>/attachments/<int:attachment_id>/",
        views.tracked_message_attachment,
        name="tracked_message_attachment",
    ),
    path(
        "messages/<int:message_id>/attachments/<int:attachment_id>/",
        views.message_attachment,
        name="message_attachment",
    ),
    path("account/mail/", views.mail_preferences, name="mail_preferences"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("responses/", views.response_templates, name="response_templates"),
    path("responses/new/", views.response_template_edit, name="response_template_add"),
    path("responses/<slug:key>/", views.response_template_edit, name="response_template_edit"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:mail_id>/", views.outbox_mail, name="outbox_mail"),
    path("outbox/<int:mail_id>/resend/", views.outbox_resend, name="outbox_resend"),
    path("outbox/files/", views.mail_files, name="mail_files"),
    path("outbox/files/<str:name>/", views.mail_file, name="mail_file"),
    path("outbox/held/", views.quarantine, name="quarantine"),
    path("outbox/held/<int:held_id>/", views.quarantine_decide, name="quarantine_decide"),
    path("outbox/addresses/<int:address_id>/clear/", views.outbox_clear_bounce, name="outbox_clear_bounce"),
]
