"""Enqueueing background work so that it runs only for what was committed."""

import datetime as dt
from typing import Any

from django.db import transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend


def enqueue_with_transaction(task: Task[Any, Any], *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue `task(*args)` so that it exists exactly when the current transaction commits.

    With the database queue the task row joins the transaction: the worker sees it only after
    commit, never for work rolled back, and it costs no second commit. Other backends run or
    publish a task at once, so for them it waits for the commit. `run_after` defers it where the
    backend can; where it cannot (the immediate backend), nothing is enqueued and the periodic
    sweep of the work picks it up when due.
    """

    def enqueue() -> None:
        if run_after is None:
            task.enqueue(*args)
        elif task.get_backend().supports_defer:
            task.using(run_after=run_after).enqueue(*args)

    if isinstance(task.get_backend(), DatabaseBackend):
        enqueue()
    else:
        transaction.on_commit(enqueue)
