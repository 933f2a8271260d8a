"""Small hand-made scheduling problems shared by the scheduling tests."""

from __future__ import annotations

from shopfloor.schedule.model import (
    Downtime,
    Frozen,
    Job,
    Mode,
    Objective,
    Operation,
    Problem,
    SetupMatrix,
)


def flexible_setup_problem() -> Problem:
    """Three machines, four jobs: alternative machines, setups on machine 0, a downtime on
    machine 1, release dates, due dates and one frozen operation in progress at now=2."""
    jobs = (
        Job((Operation((Mode(0, 3), Mode(1, 5)), family=0), Operation.on(2, 2)), due=12),
        Job(
            (Operation((Mode(0, 4), Mode(1, 4)), family=1), Operation.on(2, 3, family=1)),
            release=3,
            due=15,
            weight=2,
        ),
        Job((Operation.on(2, 2), Operation((Mode(0, 2), Mode(1, 3)), family=0)), due=10),
        Job((Operation((Mode(0, 2), Mode(1, 2)), family=1), Operation.on(2, 4)), release=1),
    )
    return Problem(
        jobs=jobs,
        machines=("m0", "m1", "m2"),
        setups=(SetupMatrix(0, ((0, 3), (2, 0))),),
        downtimes=(Downtime(1, 4, 8, "maintenance"),),
        frozen=(Frozen(2, 0, 2, 0, 2),),
        now=2,
        objective=Objective(makespan=1, tardiness=1),
        name="flex",
    )


def test_the_shared_case_is_a_valid_problem() -> None:
    p = flexible_setup_problem()
    assert p.n_ops == 8 and not p.is_classic
    assert p.setup(0, 0, 1) == 3 and p.setup(0, 1, 0) == 2 and p.setup(1, 0, 1) == 0
    assert p.downtimes_on == {1: ((4, 8),)}
