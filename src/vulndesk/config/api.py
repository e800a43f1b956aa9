"""The REST API, version 1: one NinjaAPI assembled from the apps' routers."""

from ninja import NinjaAPI

api = NinjaAPI(title="vulndesk API", version="1", urls_namespace="api-v1")
