"""The product catalog: researchers pick a product slug, staff a product version for a fix."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from vulndesk.catalog import selectors
from vulndesk.core.api import Page, PageParams, caller, paginate, problem_responses

router = Router(tags=["catalog"])


class ProductVersionOut(Schema):
    id: int
    version: str
    end_of_support: dt.date | None


class ProductOut(Schema):
    slug: str
    name: str
    family: str
    owning_team: str = Field(alias="owning_team.slug")
    versions: list[ProductVersionOut]


class ProductPage(Page[ProductOut]):
    pass


@router.get("/products", response=ProductPage, summary="List products", openapi_extra=problem_responses(401, 422))
def list_products(request: HttpRequest, query: Query[PageParams]) -> dict[str, Any]:
    caller(request)  # any signed-in user; the catalog is not confidential
    return paginate(selectors.list_products(), query)
