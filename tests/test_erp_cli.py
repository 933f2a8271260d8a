"""``shopfloor erp``: exit 0 when done, 2 with the line and the reason when refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shopfloor.cli import main
from shopfloor.config import settings
from shopfloor.mes import open_mes
from tests.test_erp_support import (
    EXAMPLES,
    NS6,
    SCHEMAS,
    Request,
    Step,
    mes_template_fixture,
    mes_url_fixture,
    v0600_product,
    v0600_schedule,
)
from tests.test_erp_xml import XXE

__all__ = ["mes_template_fixture", "mes_url_fixture"]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(name="erp")
def erp_fixture(mes_url: str, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """Runs ``shopfloor erp ...`` on the test's database; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["erp", *args, "--db", mes_url, "--schemas", str(SCHEMAS)])
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_and_its_exit_codes(erp: Run, tmp_path: Path, mes_url: str) -> None:
    doc = write(tmp_path, "s.xml", v0600_schedule("S1", [Request("PR-1", "housing-a", 2)]))
    code, out, err = erp("import", doc, "--plant", "demo")
    assert (code, err) == (0, "")
    assert "orders: 1\n  PR-1" in out and "version: V0600" in out
    with open_mes(mes_url, plant="demo") as mes:
        assert mes.orders.get("PR-1").quantity == 2
    code, _out, err = erp("import", doc, "--plant", "demo")
    assert code == 2
    assert "error [erp.conflict]" in err and "line 4: job order PR-1 exists already" in err


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            f'<ProductionSchedule xmlns="{NS6}">\n<ID>S1\n</ProductionSchedule>'.encode(),
            "line 3: not well-formed XML",
        ),
        (XXE, "line 2: <!DOCTYPE declaration refused"),
        (
            (EXAMPLES / "mesa-courbon-v0401_PRO-20121210181416-27942.xml").read_bytes(),
            "line 2: B2MML version V0401",
        ),
        (
            v0600_schedule("S", [Request("PR-1", "GHOST-7", 1)]),
            "line 18: request PR-1: unknown product 'GHOST-7'",
        ),
        (
            v0600_schedule("S", [Request("PR-1", "housing-a", 1, priority="soon")]),
            "line 13: Element '{http://www.mesa.org/xml/B2MML-V0600}Priority': 'soon'",
        ),
        (b"order_id,product,quantity\nSO-1,housing-a,many\n", "line 2: quantity: 'many'"),
    ],
    ids=["malformed", "xxe", "v0401", "unknown-product", "schema", "csv"],
)
def test_refused_imports_exit_2_with_line_and_reason(
    erp: Run, tmp_path: Path, mes_url: str, data: bytes, expected: str
) -> None:
    name = "orders.csv" if data.startswith(b"order_id") else "doc.xml"
    code, out, err = erp("import", write(tmp_path, name, data), "--plant", "demo")
    assert code == 2, out
    assert expected in err
    assert "Traceback" not in err
    with open_mes(mes_url, plant="demo") as mes:
        assert mes.orders.list() == []


def test_master_data_needs_a_place_to_go(erp: Run, tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "d.xml",
        v0600_product("BRACKET", "Bracket", [Step("B-10", "turn", "Turn", "PT2M", ("lathe-01",))]),
    )
    code, _out, err = erp("import", doc, "--plant", "demo")
    assert code == 2 and "give --out NEW.yaml (a new plant file) or --in-place" in err
    code, _out, err = erp("import", doc, "--plant", "demo", "--in-place")
    assert code == 2 and "is an example inside the package" in err
    code, out, _err = erp("import", doc, "--plant", "demo", "--dry-run")
    assert code == 0 and "product bracket created" in out and "nothing (dry run)" in out
    assert not list(tmp_path.glob("*.yaml"))
    new = tmp_path / "plant.yaml"
    code, out, _err = erp("import", doc, "--plant", "demo", "--out", str(new))
    assert code == 0 and f"plant_file: {new}" in out
    assert main(["plant", "validate", str(new)]) == 0
    code, _out, err = erp("import", doc, "--plant", "demo", "--out", str(new))
    assert code == 2 and "exists already" in err


def test_validate_reads_the_schema_folder_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, "s.xml", v0600_schedule("S1", [Request("PR-1", "housing-a", 2)]))
    monkeypatch.setenv("SHOPFLOOR_B2MML_SCHEMA_DIR", str(SCHEMAS))
    settings.cache_clear()
    try:
        assert main(["erp", "validate", doc]) == 0
        assert "valid B2MML V0600 ProductionSchedule: 1 order(s)" in capsys.readouterr().out
        monkeypatch.setenv("SHOPFLOOR_B2MML_SCHEMA_DIR", str(tmp_path))
        settings.cache_clear()
        assert main(["erp", "validate", doc]) == 2
        assert "no B2MML V0600 schemas there" in capsys.readouterr().err
    finally:
        settings.cache_clear()


def test_the_docs_name_only_commands_and_options_that_exist() -> None:
    import re

    import typer

    from shopfloor.erp.cli import app

    group = typer.main.get_command(app)
    text = (Path(__file__).resolve().parents[1] / "docs" / "erp.md").read_text("utf-8")
    blocks = re.findall(r"```\n(.*?)```", text, flags=re.S)
    named = set()
    for block in blocks:
        for m in re.finditer(r"shopfloor erp (\w+)((?:.|\n(?!shopfloor))*)", block):
            command = group.commands[m.group(1)]  # type: ignore[attr-defined]
            options = {o for p in command.params for o in getattr(p, "opts", [])}
            for option in re.findall(r"(--[a-z-]+)", m.group(2)):
                assert option in options, f"docs: shopfloor erp {m.group(1)} {option}"
            named.add(m.group(1))
    assert named >= {"import", "validate", "export"}
    assert "shopfloor erp notify --hooks" in text
