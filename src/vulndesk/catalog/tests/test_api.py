"""GET /api/v1/products: the catalog researchers pick from."""

from collections.abc import Callable

from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import ProductFactory, ProductVersionFactory

Api = Callable[[User | None], ApiClient]


def test_researcher_lists_products_with_their_versions(api: Api, researcher: User) -> None:
    product = ProductFactory.create(slug="widget-server", name="Widget Server")
    ProductVersionFactory.create(product=product, version="2.4")
    ProductVersionFactory.create(product=product, version="2.3")

    (item,) = api(researcher).get("/products").json()["items"]

    assert (item["slug"], item["name"], item["owning_team"]) == (
        "widget-server",
        "Widget Server",
        product.owning_team.slug,
    )
    assert [version["version"] for version in item["versions"]] == ["2.3", "2.4"]


def test_product_list_query_count_is_bounded(
    api: Api, researcher: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for product in ProductFactory.create_batch(10):
        ProductVersionFactory.create_batch(2, product=product)
    client = api(researcher)

    with django_assert_max_num_queries(5):
        response = client.get("/products")

    assert len(response.json()["items"]) == 10


def test_products_without_token_are_401(api: Api, db: None) -> None:
    response = api(None).get("/products")

    assert response.status_code == 401
