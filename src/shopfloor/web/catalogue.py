"""The UI string catalogues (``i18n/<lang>.json``) and the keys the dashboard uses.

A catalogue is a flat JSON object ``{"key": "text"}``; every language has every key. The
scripts look strings up with ``t("key")`` and the page marks elements with
``data-i18n="key"`` (text) or ``data-i18n-title`` / ``data-i18n-placeholder`` (attributes);
:func:`keys_used` finds those literal keys in the static files. Keys built at run time name
their family here (:data:`DYNAMIC_FAMILIES`) so that checks can still cover them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from shopfloor.auth.roles import Role
from shopfloor.errors import BadInput, NotFound
from shopfloor.plant.states import PackMLState

HERE = Path(__file__).parent
I18N = HERE / "i18n"
STATIC = HERE / "static"
LANGS = ("en", "zh")

_KEY = r"[a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+"
_USES = (
    re.compile(r"""\bt\(\s*["'](""" + _KEY + r""")["']"""),
    re.compile(r"""data-i18n(?:-title|-placeholder)?=["'](""" + _KEY + r""")["']"""),
    re.compile(r"""\bkey:\s*["'](""" + _KEY + r""")["']"""),
)
#: In scripts every string literal shaped like a key is one (keys travel through helpers
#: such as ``section("orders.list", ...)`` and table headers); file names are not.
_LITERAL = re.compile(r"""["'](""" + _KEY + r""")["']""")
_FILES = (".js", ".css", ".json", ".html", ".pdf", ".xlsx")

#: Key families the scripts complete at run time, with the suffixes they may take.
DYNAMIC_FAMILIES: dict[str, tuple[str, ...]] = {
    "state.": tuple(s.value for s in PackMLState),
    "role.": tuple(r.label for r in Role),
    "priority.": ("low", "medium", "high", "urgent"),
    "alarmstate.": ("unack_active", "ack_active", "unack_cleared", "normal"),
    "quality.": ("good", "uncertain", "bad"),
    "status.": ("created", "released", "running", "held", "complete", "aborted"),
    "action.": ("alarm.ack", "alarm.shelve", "alarm.unshelve"),
    "rule.": tuple(f"N{i}" for i in range(1, 9)),
    "chart.": ("i", "mr", "xbar", "r", "u"),
}


def load(lang: str) -> dict[str, str]:
    """The catalogue of ``lang``; :class:`NotFound` for a language without one."""
    if lang not in LANGS:
        raise NotFound(
            f"lang: no catalogue {lang!r}; the dashboard speaks {', '.join(LANGS)}",
            field="lang",
            value=lang,
        )
    data = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise BadInput(f"{lang}.json: must be one JSON object of strings to strings")
    return data


def keys_used() -> dict[str, set[str]]:
    """Literal catalogue keys per static file (relative path -> keys)."""
    out: dict[str, set[str]] = {}
    for path in sorted(STATIC.rglob("*")):
        if path.suffix not in (".js", ".html"):
            continue
        text = path.read_text(encoding="utf-8")
        found = {m.group(1) for rx in _USES for m in rx.finditer(text)}
        if path.suffix == ".js":
            found |= {
                m.group(1) for m in _LITERAL.finditer(text) if not m.group(1).endswith(_FILES)
            }
        out[str(path.relative_to(STATIC))] = found
    for prefix, suffixes in DYNAMIC_FAMILIES.items():
        out[f"(dynamic {prefix}*)"] = {prefix + s for s in suffixes}
    return out


def problems() -> list[str]:
    """Everything wrong with the catalogues, one line each (empty when they are sound)."""
    cats = {lang: load(lang) for lang in LANGS}
    out: list[str] = []
    every = set().union(*(c.keys() for c in cats.values()))
    for lang, cat in cats.items():
        out += [f"{lang}.json: missing key {k!r}" for k in sorted(every - cat.keys())]
        out += [
            f"{lang}.json: empty value for {k!r}" for k, v in sorted(cat.items()) if not v.strip()
        ]
    for where, keys in keys_used().items():
        out += [f"{where}: key {k!r} is in no catalogue" for k in sorted(keys - every)]
    return out
