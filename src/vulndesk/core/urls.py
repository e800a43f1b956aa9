from django.urls import URLPattern, path

from vulndesk.core import views

urlpatterns: list[URLPattern] = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("healthz", views.healthz, name="healthz"),
]
