from django.urls import URLPattern, path

from vulndesk.triage import views

urlpatterns: list[URLPattern] = [
    path("queue/", views.report_queue, name="report_queue"),
    path("queue/bulk/", views.queue_bulk_action, name="queue_bulk_action"),
    path("queue/views/", views.queue_view_save, name="queue_view_save"),
    path("queue/views/<int:view_id>/delete/", views.queue_view_delete, name="queue_view_delete"),
    path("reports/<int:report_id>/transition/", views.report_transition, name="report_transition"),
    path("reports/<int:report_id>/case/", views.report_case, name="report_case"),
    path(
        "reports/<int:report_id>/duplicate-of/<int:original_id>/",
        views.report_mark_duplicate,
        name="report_mark_duplicate",
    ),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("validations/shared/", views.shared_validations, name="shared_validations"),
    path(
        "validations/shared/<int:validation_id>/reply/", views.shared_validation_reply, name="shared_validation_reply"
    ),
    path("cases/<int:case_id>/disclosure-date/", views.case_disclosure_date, name="case_disclosure_date"),
]
