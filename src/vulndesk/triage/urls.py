from django.urls import URLPattern, path

from vulndesk.triage import views

urlpatterns: list[URLPattern] = [
    path("queue/", views.report_queue, name="report_queue"),
    path("queue/bulk/", views.queue_bulk_action, name="queue_bulk_action"),
    path("queue/views/", views.queue_view_save, name="queue_view_save"),
    path("queue/views/<int:view_id>/delete/", views.queue_view_delete, name="queue_view_delete"),
    path("reports/<int:report_id>/transition/", views.report_transition, name="report_transition"),
]
