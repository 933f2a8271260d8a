"""The problem model validates itself and names every bad field by its path."""

from __future__ import annotations

import pytest

from shopfloor.errors import ValidationFailed
from shopfloor.schedule.model import (
    Downtime,
    Frozen,
    Job,
    Mode,
    Objective,
    Operation,
    Planned,
    Problem,
    SetupMatrix,
)
from shopfloor.schedule.timeline import earliest_fit


def _jobs() -> tuple[Job, ...]:
    return (Job((Operation.on(0, 3), Operation.on(1, 2))), Job((Operation.on(1, 4),)))


def _errors(**kw: object) -> list[str]:
    args: dict[str, object] = {"jobs": _jobs(), "machines": ("a", "b")}
    args.update(kw)
    with pytest.raises(ValidationFailed) as info:
        Problem(**args)  # type: ignore[arg-type]
    return [e["path"] + ": " + e["message"] for e in info.value.details["errors"]]


def test_a_valid_problem_builds_and_answers_questions() -> None:
    p = Problem(jobs=_jobs(), machines=("a", "b"))
    assert p.n_ops == 3 and p.ops() == [(0, 0), (0, 1), (1, 0)]
    assert p.is_classic and p.objective.makespan_only
    assert p.operation(0, 1).duration_on(1) == 2 and p.operation(0, 1).duration_on(0) is None


def test_bad_machine_and_duration_are_named_by_path() -> None:
    bad = (Job((Operation((Mode(5, 3), Mode(0, -1))),)),)
    errs = _errors(jobs=bad)
    assert any(e.startswith("jobs[0].operations[0].modes[0].machine") for e in errs)
    assert any(e.startswith("jobs[0].operations[0].modes[1].duration") for e in errs)


def test_structural_errors() -> None:
    assert any("at least one machine" in e for e in _errors(machines=()))
    assert any("duplicate machine" in e for e in _errors(machines=("a", "a")))
    assert any("jobs[0].operations" in e for e in _errors(jobs=(Job(()),)))
    assert any("objective" in e for e in _errors(objective=Objective(0, 0, 0)))
    assert any("release" in e for e in _errors(jobs=(Job((Operation.on(0, 1),), release=-1),)))


def test_setup_matrix_must_be_square_and_cover_families() -> None:
    jobs = (Job((Operation.on(0, 3, family=2),)),)
    errs = _errors(jobs=jobs, setups=(SetupMatrix(0, ((0, 1), (1, 0))),))
    assert any("use family 2" in e for e in errs)
    errs = _errors(setups=(SetupMatrix(0, ((0, 1), (1,))),))
    assert any("square" in e for e in errs)


def test_frozen_operations_must_be_consistent() -> None:
    errs = _errors(frozen=(Frozen(0, 1, 1, 0, 2),), now=5)
    assert any("predecessor (0, 0) is not frozen" in e for e in errs)
    errs = _errors(frozen=(Frozen(0, 0, 0, 4, 7),), now=2)
    assert any("frozen[0].start" in e for e in errs)
    errs = _errors(frozen=(Frozen(0, 0, 0, 0, 3),), downtimes=(Downtime(0, 1, 2),), now=1)
    assert any("overlaps downtime" in e for e in errs)
    errs = _errors(frozen=(Frozen(0, 0, 1, 0, 3),), now=1)
    assert any("not eligible" in e for e in errs)


def test_dispatched_and_downtime_errors() -> None:
    errs = _errors(dispatched=(Planned(3, 0, 0, 5),))
    assert any("no operation (3, 0)" in e for e in errs)
    errs = _errors(downtimes=(Downtime(0, 5, 5),))
    assert any("downtimes[0]" in e for e in errs)


def test_downtimes_are_merged_per_machine() -> None:
    p = Problem(
        jobs=_jobs(),
        machines=("a", "b"),
        downtimes=(Downtime(0, 5, 8), Downtime(0, 7, 9), Downtime(0, 1, 2)),
    )
    assert p.downtimes_on[0] == ((1, 2), (5, 9))
    assert not p.is_classic


@pytest.mark.parametrize(
    ("ready", "duration", "expected"),
    [
        (0, 1, 0),
        (0, 2, 2),
        (1, 3, 2),
        (2, 4, 9),
        (6, 0, 9),
        (9, 4, 9),
        (20, 5, 20),
    ],
)
def test_earliest_fit_skips_windows(ready: int, duration: int, expected: int) -> None:
    assert earliest_fit(((1, 2), (5, 9)), ready, duration) == expected
