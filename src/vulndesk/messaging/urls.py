from django.urls import URLPattern, path

from vulndesk.messaging import views

urlpatterns: list[URLPattern] = [
    path("reports/<int:report_id>/messages/", views.report_messages, name="report_messages"),
    path("cases/<int:case_id>/messages/", views.case_messages, name="case_messages"),
    path("messages/<int:message_id>/edit/", views.message_edit, name="message_edit"),
]
