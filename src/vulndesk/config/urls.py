"""The URL map: the public site, the portal for researchers and staff, the API and the admin."""

from django.contrib import admin
from django.urls import include, path, re_path

from vulndesk.config.api import api
from vulndesk.core.api import unknown_endpoint

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<path>.*)$", unknown_endpoint),
    path("admin/", admin.site.urls),
    path("", include("vulndesk.core.urls")),
    path("", include("vulndesk.accounts.urls")),
    path("", include("vulndesk.intake.urls")),
    path("", include("vulndesk.triage.urls")),
    path("", include("vulndesk.scoring.urls")),
    path("", include("vulndesk.advisories.urls")),
    path("", include("vulndesk.messaging.urls")),
]

handler403 = "vulndesk.core.views.permission_denied"
handler404 = "vulndesk.core.views.page_not_found"
handler500 = "vulndesk.core.views.server_error"
