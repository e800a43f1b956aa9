"""The messaging bench (a long case thread with many partners) on the test database, so it cannot rot unnoticed."""

from bench.messaging import run

from vulndesk.messaging.models import CasePartner, Message


def test_bench_seeds_the_thread_and_times_every_page(db: None) -> None:
    figures = run(messages=120, partners=6, requests=2)

    assert Message.objects.count() == 120
    assert CasePartner.objects.count() == 6
    assert len(figures["figures"]) == 4
    assert all(row["p95_ms"] > 0 and row["queries"] > 0 for row in figures["figures"].values())
