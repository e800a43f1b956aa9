from django.http import HttpRequest, HttpResponse


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse("Forbidden", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse("Not found", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Server error", status=500)
