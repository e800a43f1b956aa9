import datetime as dt
import io

import pytest
from django.core.management import call_command, get_commands, load_command_class

from vulndesk.core.schedule import PERIODIC_JOBS, PeriodicJob, Scheduler

FAST = PeriodicJob("fast", ("fast",), dt.timedelta(seconds=10))
SLOW = PeriodicJob("slow", ("slow",), dt.timedelta(seconds=60))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("job", PERIODIC_JOBS, ids=lambda job: job.description)
def test_every_job_is_a_command_with_valid_arguments(job: PeriodicJob) -> None:
    name, *arguments = job.command
    command = load_command_class(get_commands()[name], name)

    # An unknown command raises KeyError above; bad arguments make the parser exit.
    options = command.create_parser("vulndesk", name).parse_args(arguments)

    assert set(arguments) <= {str(value) for value in vars(options).values()}


def test_every_job_runs_at_start_then_each_at_its_interval() -> None:
    clock, ran = FakeClock(), []
    scheduler = Scheduler([FAST, SLOW], run=lambda *command: ran.append(command), clock=clock)

    scheduler.run_due_jobs()
    clock.now += 10
    scheduler.run_due_jobs()
    clock.now += 50
    scheduler.run_due_jobs()

    assert ran == [("fast",), ("slow",), ("fast",), ("fast",), ("slow",)]


def test_a_failing_job_does_not_stop_the_others() -> None:
    ran = []

    def run(*command: str) -> None:
        if command == ("fast",):
            raise RuntimeError("mail server down")
        ran.append(command)

    Scheduler([FAST, SLOW], run=run, clock=FakeClock()).run_due_jobs()

    assert ran == [("slow",)]


def test_seconds_until_next_job() -> None:
    clock = FakeClock()
    scheduler = Scheduler([FAST, SLOW], run=lambda *command: None, clock=clock)
    scheduler.run_due_jobs()
    clock.now += 4

    assert scheduler.seconds_until_next_job() == 6


def test_schedule_list_names_every_job() -> None:
    out = io.StringIO()

    call_command("schedule", "--list", stdout=out)

    assert all(" ".join(job.command) in out.getvalue() for job in PERIODIC_JOBS)


@pytest.mark.django_db
def test_schedule_once_runs_every_job_against_the_database_without_errors(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()

    call_command("schedule", "--once", stdout=out)

    assert f"Ran {len(PERIODIC_JOBS)} periodic jobs." in out.getvalue()
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
