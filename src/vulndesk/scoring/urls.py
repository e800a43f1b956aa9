from django.urls import URLPattern, path

from vulndesk.scoring import views

urlpatterns: list[URLPattern] = [
    path("vulnerabilities/", views.vulnerability_list, name="vulnerability_list"),
    path("vulnerabilities/<int:vulnerability_id>/", views.vulnerability_detail, name="vulnerability_detail"),
    path("vulnerabilities/<int:vulnerability_id>/score/", views.vulnerability_score, name="vulnerability_score"),
    path(
        "vulnerabilities/<int:vulnerability_id>/severity/", views.vulnerability_severity, name="vulnerability_severity"
    ),
    path(
        "vulnerabilities/<int:vulnerability_id>/exploitability/",
        views.vulnerability_exploitability,
        name="vulnerability_exploitability",
    ),
    path("vulnerabilities/<int:vulnerability_id>/ssvc/", views.vulnerability_ssvc, name="vulnerability_ssvc"),
    path(
        "vulnerabilities/<int:vulnerability_id>/ssvc/deployer/",
        views.vulnerability_ssvc_deployer,
        name="vulnerability_ssvc_deployer",
    ),
    path(
        "vulnerabilities/<int:vulnerability_id>/priority/", views.vulnerability_priority, name="vulnerability_priority"
    ),
    path(
        "vulnerabilities/<int:vulnerability_id>/components/",
        views.vulnerability_component,
        name="vulnerability_component",
    ),
    path(
        "vulnerabilities/<int:vulnerability_id>/customers/",
        views.vulnerability_customers,
        name="vulnerability_customers",
    ),
    path("scoring/cvss/", views.cvss_calculator, name="cvss_calculator"),
    path("scoring/threat-data/", views.threat_data, name="threat_data"),
]
