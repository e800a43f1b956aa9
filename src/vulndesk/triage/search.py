"""Full-text matching of reports' title, description and steps to reproduce.

PostgreSQL: through each report's stored `search_document` (a generated tsvector column that
migration 0018 adds to intake's table, outside intake's model so no query selects it), with
English stemming. Elsewhere (SQLite): every word must appear as a substring.
"""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Expression, Q, QuerySet
from django.db.models.expressions import Col
from django.db.models.sql.query import Query

from vulndesk.intake.models import Report

SEARCHED_FIELDS = ("title", "description", "steps_to_reproduce")
_COLUMN = SearchVectorField()
_COLUMN.set_attributes_from_name("search_document")


class _SearchDocument(Expression):
    """The stored document of the query's report table; a column reference that follows the table's alias."""

    output_field = SearchVectorField()

    def resolve_expression(  # type: ignore[override]  # it resolves to the column it stands for
        self,
        query: Query | None = None,
        allow_joins: bool = True,
        reuse: set[str] | None = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> Col:
        if query is None or query.model is not Report:
            raise TypeError("The search document is a column of reports: use it in a query of Report.")
        return Col(query.get_initial_alias(), _COLUMN, output_field=SearchVectorField())


def matching(reports: QuerySet[Report], text: str, *, search_type: str = "websearch") -> QuerySet[Report]:
    """The reports whose text matches `text`.

    PostgreSQL: `search_type` "websearch" reads "quoted phrase", -excluded and `or`; "plain"
    requires every word. SQLite: every word (at most 10) as a substring of one of the fields.
    """
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config="english", search_type=search_type)
        return reports.alias(search_document=_SearchDocument()).filter(search_document=query)
    return reports.filter(every_word_in(text.split()[:10], SEARCHED_FIELDS))


def every_word_in(words: Iterable[str], fields: Iterable[str]) -> Q:
    """Each of `words` as a case-insensitive substring of one of `fields` (the LIKE fallback)."""
    condition = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition
