"""The dashboard's catalogues: same keys in every language, no empty text, every key used exists."""

from __future__ import annotations

import re

from shopfloor.web.catalogue import LANGS, keys_used, load, problems


def test_catalogues_have_the_same_keys_and_no_empty_values() -> None:
    cats = {lang: load(lang) for lang in LANGS}
    assert cats["en"].keys() == cats["zh"].keys()
    assert len(cats["en"]) > 150
    for lang, cat in cats.items():
        assert [k for k, v in cat.items() if not v.strip()] == [], lang


def test_every_key_in_the_scripts_and_page_is_in_the_catalogues() -> None:
    used = keys_used()
    assert "js/page_overview.js" in used and "index.html" in used
    assert "nav.overview" in used["index.html"] and "alarms.ack" in used["js/page_alarms.js"]
    assert problems() == []


def test_chinese_catalogue_is_translated() -> None:
    en, zh = load("en"), load("zh")
    exempt = re.compile(r"^[A-Za-z0-9 ./{}()%\-,:]*$")  # ids, units and acronyms (OEE, UCL, kWh)
    names = {"app.brand"}  # the product's name is the same in every language
    same = [k for k in en if en[k] == zh[k] and not exempt.match(en[k]) and k not in names]
    assert same == []
    latin_words = [
        k for k, v in zh.items() if re.search(r"[A-Za-z]{4,}", v) and v == en[k] and k not in names
    ]
    assert latin_words == []
