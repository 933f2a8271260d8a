"""``shopfloor sparkplug decode``: JSON and table output, exit codes for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.cli import main

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sparkplug"
SHOPFLOOR = Path(sys.executable).parent / "shopfloor"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["sparkplug", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_decode_json_prints_the_expected_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["decode", str(VECTORS / "b_nbirth_metadata_flags.bin"), "--json"], capsys)
    assert code == 0
    expected = json.loads((VECTORS / "b_nbirth_metadata_flags.json").read_text())["expected"]
    assert json.loads(out) == expected


def test_decode_with_birth_resolves_aliases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "decode",
            str(VECTORS / "b_ndata_alias_only_no_datatype.bin"),
            "--birth",
            str(VECTORS / "b_nbirth_scalars.bin"),
            "--json",
        ],
        capsys,
    )
    assert code == 0
    metrics = json.loads(out)["metrics"]
    assert metrics[0]["value"] == -128 and metrics[0]["datatype_from_birth"] == "Int8"


def test_decode_table_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "decode",
            str(VECTORS / "a_ndata_alias_only.bin"),
            "--birth",
            str(VECTORS / "a_nbirth_scalars.bin"),
        ],
        capsys,
    )
    assert code == 0
    assert "seq        1" in out and "2024-06-10T06:13:21.000Z" in out
    line = next(ln for ln in out.splitlines() if "Sensors/Int8" in ln)
    assert "(from birth)" in line and "-1" in line and "Int8" in line


def test_malformed_payload_exits_2_naming_the_byte(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["decode", str(VECTORS / "bad_invalid_wire_type.bin"), "--json"], capsys)
    assert code == 2 and out == ""
    assert err.strip() == (
        "error [codec.malformed]: malformed payload at byte 9: Payload field 3: invalid wire type 7"
    )


def test_malformed_birth_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    birth = VECTORS / "bad_truncated_nbirth.bin"
    code, _, err = run(
        ["decode", str(VECTORS / "a_ndata_alias_only.bin"), "--birth", str(birth)], capsys
    )
    assert code == 2 and f"in birth file {birth}" in err and "at byte" in err


def test_unknown_alias_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        [
            "decode",
            str(VECTORS / "a_ndata_alias_only.bin"),
            "--birth",
            str(VECTORS / "b_ndeath_bdseq2.bin"),
        ],
        capsys,
    )
    assert code == 2 and "error [codec.unknown_alias]" in err and "alias 2" in err


def test_missing_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.bin"
    code, _, err = run(["decode", str(missing)], capsys)
    assert code == 2 and str(missing) in err and "input.not_found" in err
    code, _, err = run(
        ["decode", str(VECTORS / "a_ndata_alias_only.bin"), "--birth", str(missing)], capsys
    )
    assert code == 2 and str(missing) in err


@pytest.mark.parametrize(
    ("vector", "topic", "code", "words"),
    [
        ("a_nbirth_scalars", "spBv1.0/Plant1/NBIRTH/EdgeA", 0, ""),
        ("a_ndeath_bdseq0", "spBv1.0/Plant1/NDEATH/EdgeA", 0, ""),
        ("a_ndeath_bdseq0", "spBv1.0/Plant1/NBIRTH/EdgeA", 2, "NBIRTH payload has no timestamp"),
        ("b_dcmd_write", "spBv1.0/Plant2/DDATA/EdgeB/Press07", 2, "DDATA payload has no seq"),
        ("b_dcmd_write", "spBv1.0/Plant2/DCMD/EdgeB", 2, "DCMD needs"),
        ("b_dcmd_write", "spBv1.0/Plant2/DCMD/EdgeB/Press07", 0, ""),
        ("a_ncmd_rebirth", "spBv1.0/STATE/host1", 2, "STATE messages are JSON"),
    ],
)
def test_topic_applies_the_message_rules(
    vector: str, topic: str, code: int, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, _, err = run(["decode", str(VECTORS / f"{vector}.bin"), "--topic", topic], capsys)
    assert got == code and words in err


def test_the_installed_command_runs() -> None:
    proc = subprocess.run(
        [str(SHOPFLOOR), "sparkplug", "decode", str(VECTORS / "bad_varint_overflow.bin")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "malformed payload at byte 1: varint longer than 10 bytes" in proc.stderr
