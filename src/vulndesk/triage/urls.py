from django.urls import URLPattern, path

from vulndesk.triage import views

urlpatterns: list[URLPattern] = [
    path("queue/", views.report_queue, name="report_queue"),
    path("reports/<int:report_id>/transition/", views.report_transition, name="report_transition"),
]
