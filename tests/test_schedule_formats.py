"""Instance readers: OR-Library, Taillard and flexible .fjs, with line-numbered errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.errors import NotFound
from shopfloor.schedule.formats import (
    InstanceFormatError,
    detect_format,
    parse_instance,
    read_instance,
)


def test_ft06_reads_in_file_order(shared_data: Path) -> None:
    p = read_instance(shared_data / "jssp" / "instances" / "ft06.txt")
    assert p.name == "ft06" and len(p.jobs) == 6 and p.n_machines == 6
    first = p.jobs[0].operations[0].modes[0]
    assert (first.machine, first.duration) == (2, 1)
    assert p.jobs[5].operations[5].modes[0].machine == 2


def test_orlib_header_text_is_skipped() -> None:
    text = " instance tiny\n +++++\n Made up\n 2 2\n 0 3 1 2\n 1 4 0 1\n +++++\n"
    p = parse_instance(text, "tiny.txt", "orlib")
    assert [[(m.modes[0].machine, m.modes[0].duration) for m in j.operations] for j in p.jobs] == [
        [(0, 3), (1, 2)],
        [(1, 4), (0, 1)],
    ]


def test_taillard_matrices_match_orlib_pairs() -> None:
    orlib = "2 3\n0 5 1 6 2 7\n2 1 0 2 1 3\n"
    taillard = (
        "Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound\n"
        "2 3 1 2 20 10\nTimes\n5 6 7\n1 2 3\nMachines\n1 2 3\n3 1 2\n"
    )
    assert detect_format(orlib, "x.txt") == "orlib"
    assert detect_format(taillard, "x.txt") == "taillard"
    assert parse_instance(orlib).jobs == parse_instance(taillard).jobs


def test_fjs_renumbers_machines_from_zero() -> None:
    text = "2 3 1.5\n2 2 1 4 3 5 1 2 6\n1 1 3 2\n"
    p = parse_instance(text, "mk.fjs")
    op = p.jobs[0].operations[0]
    assert [(m.machine, m.duration) for m in op.modes] == [(0, 4), (2, 5)]
    assert p.jobs[1].operations[0].modes[0].machine == 2 and not p.is_classic


@pytest.mark.parametrize(
    ("text", "fmt", "needle"),
    [
        ("2 2\n0 3 1 2\n1 4 0\n", "orlib", "line 3: expected 2 'machine time' pairs"),
        ("2 2\n0 3 1 2\n", "orlib", "header says 2 jobs"),
        ("2 2\n0 3 5 2\n1 4 0 1\n", "orlib", "line 2: machine 5 is outside 0..1"),
        ("2 2\n0 3 1 x2\n1 4 0 1\n", "orlib", "line 2: 'x2' is not an integer"),
        ("1 2\n5 6\n0 1\n", "taillard", "line 3: machine 0 is outside 1..2"),
        ("1 2\n1 1 3 4\n", "fjs", "line 2: operation 0: machine 3 is outside 1..2"),
        ("1 2\n2 1 1 4\n", "fjs", "line 2: line ends inside operation 1"),
        ("hello\n", "orlib", "no numeric data"),
    ],
)
def test_errors_name_the_line(text: str, fmt: str, needle: str) -> None:
    with pytest.raises(InstanceFormatError) as info:
        parse_instance(text, "bad.txt", fmt)
    assert needle in info.value.message
    assert info.value.bad_input


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_instance(tmp_path / "nope.txt")
    with pytest.raises(InstanceFormatError, match="cannot tell the format"):
        parse_instance("3 2\n1 2 3 4 5\n", "odd.txt")
    with pytest.raises(Exception, match="unknown instance format"):
        parse_instance("1 1\n0 1\n", "x.txt", "yaml")
