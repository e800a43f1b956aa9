from django.urls import URLPattern, path

from vulndesk.intake import views

urlpatterns: list[URLPattern] = [
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path(".well-known/openpgp-key.asc", views.organization_key, name="organization_key"),
    path("policy/", views.policy, name="policy"),
    path("policy/history/", views.policy_history, name="policy_history"),
    path("policy/history/<int:policy_id>/", views.policy_version, name="policy_version"),
    path("policy/edit/", views.policy_edit, name="policy_edit"),
    path("mail/quarantine/", views.mail_quarantine, name="mail_quarantine"),
    path("mail/<int:mail_id>/raw/", views.mail_raw, name="mail_raw"),
    path("reports/new/", views.report_submit, name="report_submit"),
    path("reports/received/", views.report_received_anonymous, name="report_received_anonymous"),
    path("reports/track/<str:token>/", views.report_tracked, name="report_tracked"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("reports/<int:report_id>/received/", views.report_received, name="report_received"),
    path("reports/<int:report_id>/attachments/", views.report_attach, name="report_attach"),
    path("reports/<int:report_id>/attachments/<int:attachment_id>/", views.report_attachment, name="report_attachment"),
    path(
        "reports/track/<str:token>/attachments/<int:attachment_id>/",
        views.tracked_attachment,
        name="tracked_attachment",
    ),
]
