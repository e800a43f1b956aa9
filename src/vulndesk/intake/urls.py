from django.urls import URLPattern, path

from vulndesk.intake import views

urlpatterns: list[URLPattern] = [
    path("reports/new/", views.report_submit, name="report_submit"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
]
