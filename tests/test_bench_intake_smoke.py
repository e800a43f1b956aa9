"""The intake benchmark's client against a live server, so its requests stay valid as the API changes."""

import pytest
from bench.intake import _client, _percentile
from pytest_django.live_server_helper import LiveServer

from vulndesk.accounts.models import User
from vulndesk.accounts.services import issue_token
from vulndesk.intake.models import Report


def test_percentile_picks_the_nearest_rank() -> None:
    assert _percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert _percentile([float(n) for n in range(1, 101)], 0.99) == 99.0


@pytest.mark.django_db(transaction=True)
def test_the_bench_client_files_real_reports(live_server: LiveServer, researcher: User) -> None:
    token = issue_token(researcher, name="bench", actor=None).secret
    port = int(live_server.url.rsplit(":", 1)[1])
    latencies: list[float] = []
    failures: list[str] = []

    _client(port, token, 1, 3, latencies=latencies, failures=failures)

    assert failures == []
    assert len(latencies) == 3
    assert Report.objects.filter(researcher=researcher).count() == 3
