from django.urls import URLPattern, path

from vulndesk.advisories import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("advisories/", views.advisory_list, name="advisory_list"),
    path("advisories/<str:identifier>/", views.advisory_detail, name="advisory_detail"),
]
