"""The example in docs/historian.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "historian.md"


def test_doc_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks, "docs/historian.md lost its python example"
    exec(compile(blocks[0], str(DOC), "exec"), {"workdir": tmp_path})
