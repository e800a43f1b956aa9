"""Duplicate detection's quality on generated near-duplicates (reworded, reordered, translated product names)."""

from bench.duplicates import VARIANTS, make_near_duplicates, recall
from bench.generate import generate_reports


def test_originals_of_near_duplicates_are_found_among_the_top_ten(db: None) -> None:
    generate_reports(600, products=12, researchers=20, seed=7)
    near_duplicates = make_near_duplicates(45, seed=7)

    figures = recall(near_duplicates)

    assert figures["near_duplicates"] >= 40
    assert figures["recall"] >= 0.8, figures
    assert set(figures["recall_by_variant"]) == set(VARIANTS)
    assert min(figures["recall_by_variant"].values()) >= 0.6, figures
