"""Texts of the evidence pack in Chinese and English (``data/labels.yaml``).

``Texts(lang).t(key, **values)`` formats one label; a label missing in either language is an
error (a test keeps both complete). Metric and gate names are labels too (``metric.<id>``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from shopfloor.errors import BadInput

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DATA_PACKAGE = "shopfloor.assess.data"


@cache
def labels() -> dict[str, dict[str, str]]:
    text = resources.files(DATA_PACKAGE).joinpath("labels.yaml").read_text("utf-8")
    doc: dict[str, dict[str, str]] = yaml.safe_load(text)
    return doc


#: Labels of phrases the code writes in English (reasons, formulas, notes), found by that text.
PHRASES = ("why.", "text.")


@cache
def _phrases() -> dict[str, dict[str, str]]:
    """English phrase -> its label (``why.*``, ``text.*``)."""
    return {v["en"]: v for k, v in labels().items() if k.startswith(PHRASES)}


def check_lang(lang: str) -> Lang:
    if lang not in LANGS:
        raise BadInput(f"--lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return "zh" if lang == "zh" else "en"


class Texts:
    def __init__(self, lang: str) -> None:
        self.lang: Lang = check_lang(lang)

    def t(self, key: str, **values: Any) -> str:
        try:
            text = labels()[key][self.lang]
        except KeyError:
            raise KeyError(f"no {self.lang} label {key!r} in labels.yaml") from None
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in labels()

    def name(self, zh: str, en: str) -> str:
        """Pick the text of this language from a (zh, en) pair of data fields."""
        return zh if self.lang == "zh" else en

    def phrase(self, text: str) -> str:
        """A phrase the code writes in English (a reason, formula or note: ``why.*`` and
        ``text.*`` labels) in this language; an unknown one (e.g. from settings) as it is."""
        return _phrases().get(text, {}).get(self.lang, text)

    def metric(self, metric_id: str) -> str:
        key = f"metric.{metric_id}"
        return self.t(key) if self.has(key) else metric_id

    def __call__(self, key: str, **values: Any) -> str:
        return self.t(key, **values)
