"""docs/kpi.md stays true: its formula table is the registry's, its example runs as printed."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from shopfloor.kpi.docs import formula_table, replace_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "kpi.md"


def test_formula_table_is_generated_from_the_registry() -> None:
    text = DOC.read_text("utf-8")
    assert replace_table(text) == text, (
        "docs/kpi.md is stale: regenerate it with shopfloor.kpi.docs.replace_table"
    )
    assert "| `iso22400.oee` | OEE index | 设备综合效率（OEE） |" in formula_table()


def test_the_example_prints_what_the_doc_says() -> None:
    text = DOC.read_text("utf-8")
    code = re.search(r"## Example\n\n```python\n(.*?)```\n\nprints `([^`]*)`", text, re.S)
    assert code is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(DOC), "exec"), {})
    assert out.getvalue().strip() == code.group(2)
