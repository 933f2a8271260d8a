"""Reading B2MML: hostile and malformed XML, versions, schema validation, third-party files."""

from __future__ import annotations

import pytest

from shopfloor.erp.errors import MalformedXml, UnsafeXml, UnsupportedDocument, UnsupportedVersion
from shopfloor.erp.reader import read_b2mml
from shopfloor.erp.safexml import parse_xml
from shopfloor.errors import BadInput, ConfigError, ValidationFailed
from tests.test_erp_support import (
    EXAMPLES,
    NS6,
    SCHEMAS,
    Request,
    Segment,
    v0600_schedule,
)

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE ProductionSchedule [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<ProductionSchedule xmlns="{NS6}"><ID>&xxe;</ID></ProductionSchedule>
""".encode()

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>
"""

EXTERNAL_DTD = f"""<?xml version="1.0"?>
<!DOCTYPE ProductionSchedule SYSTEM "http://127.0.0.1:9/b2mml.dtd">
<ProductionSchedule xmlns="{NS6}"><ID>S1</ID></ProductionSchedule>
""".encode()


@pytest.mark.parametrize(
    ("data", "line", "marker"),
    [(XXE, 2, "<!DOCTYPE"), (LAUGHS, 2, "<!DOCTYPE"), (EXTERNAL_DTD, 2, "<!DOCTYPE")],
    ids=["xxe-file-etc-passwd", "billion-laughs", "external-dtd"],
)
def test_hostile_xml_is_refused_with_line_and_reason(data: bytes, line: int, marker: str) -> None:
    with pytest.raises(UnsafeXml) as err:
        read_b2mml(data, "evil.xml", SCHEMAS)
    assert err.value.line == line
    assert err.value.bad_input
    assert f"evil.xml: line {line}: {marker} declaration refused" in err.value.message
    assert "root:" not in err.value.message  # nothing of /etc/passwd came through


def test_a_doctype_is_found_in_utf16_and_entities_alone_are_refused() -> None:
    wide = XXE.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    with pytest.raises(UnsafeXml, match="line 2: <!DOCTYPE"):
        parse_xml(wide.encode("utf-16"), "wide.xml")
    with pytest.raises(UnsafeXml, match="line 3: <!ENTITY"):
        parse_xml(b"<a>\n<b/>\n<!ENTITY x 'y'>\n</a>", "ent.xml")


def test_malformed_xml_names_line_and_column() -> None:
    data = f'<?xml version="1.0"?>\n<ProductionSchedule xmlns="{NS6}">\n<ID>S1</Id>\n'.encode()
    with pytest.raises(MalformedXml) as err:
        read_b2mml(data, "broken.xml", SCHEMAS)
    assert err.value.line == 3
    assert "broken.xml: line 3: not well-formed XML, column" in err.value.message
    assert "mismatch" in err.value.message.lower()
    with pytest.raises(MalformedXml, match="empty"):
        parse_xml(b"  \n", "empty.xml")


@pytest.mark.parametrize(
    ("name", "version", "line"),
    [
        ("mesa-courbon-v0401_PRO-20121210181416-27942.xml", "V0401", 2),
        ("mesa-courbon-v0401_MAT-20121210170256-CRBN0001.xml", "V0401", 2),
        ("werdnav-b2mml-validation_sample_XML_to_validate.xml", "V0401", 2),
        ("jaskrendix-amplab2mml_sample_b2mml_expected.xml", "V0400", 5),  # tag ends on line 5
    ],
)
def test_unsupported_versions_are_refused_naming_the_version(
    name: str, version: str, line: int
) -> None:
    with pytest.raises(UnsupportedVersion) as err:
        read_b2mml((EXAMPLES / name).read_bytes(), name, SCHEMAS)
    assert f"B2MML version {version} " in err.value.message
    assert "reads and writes B2MML V0600 and V0701" in err.value.message
    assert err.value.line == line


def test_a_document_that_is_not_b2mml_is_refused() -> None:
    with pytest.raises(UnsupportedDocument, match=r"line 1: not a B2MML document.*\{urn:x\}order"):
        read_b2mml(b'<order xmlns="urn:x"><id>1</id></order>', "x.xml", SCHEMAS)


def test_schema_errors_are_listed_with_their_lines() -> None:
    doc = v0600_schedule("S1", [Request("PR-1", "housing-a", 2, priority="urgent")])
    with pytest.raises(ValidationFailed) as err:
        read_b2mml(doc, "bad.xml", SCHEMAS)
    assert err.value.code == "erp.schema_invalid"
    line = next(i for i, t in enumerate(doc.decode().splitlines(), 1) if "urgent" in t)
    assert f"line {line}:" in err.value.message and "'urgent'" in err.value.message
    assert "bad.xml is not valid B2MML V0600" in err.value.message


def test_values_the_schema_allows_but_shopfloor_cannot_use_are_refused_by_line() -> None:
    doc = v0600_schedule(
        "S1",
        [
            Request("PR-1", "housing-a", "2.5", segments=[Segment("PR-1-10", "turn")]),
            Request("PR-2", "housing-a", 1, priority="1.5"),
        ],
    )
    with pytest.raises(ValidationFailed) as err:
        read_b2mml(doc, "odd.xml", SCHEMAS)
    assert err.value.code == "erp.unmappable"
    assert "request PR-1: quantity 2.5 of housing-a is not a whole number" in err.value.message
    assert "request PR-2: Priority 1.5 is not a whole number" in err.value.message
    assert all(e["path"].startswith("line ") for e in err.value.details["errors"])


def test_transaction_verbs() -> None:
    requests = [Request("PR-1", "housing-a", 2, segments=[Segment("PR-1-10", "turn")])]
    doc = read_b2mml(v0600_schedule("S1", requests, wrap="Process"), "p.xml", SCHEMAS)
    assert [o.erp_id for o in doc.orders] == ["PR-1"]
    cancel = v0600_schedule("S1", requests, wrap="Cancel")
    line = cancel.decode().splitlines().index("<Cancel/>") + 1
    with pytest.raises(UnsupportedDocument, match=f"line {line}: CancelProductionSchedule: Cancel"):
        read_b2mml(cancel, "c.xml", SCHEMAS)


def test_third_party_v0600_product_definition_inside_mtconnect_asset() -> None:
    name = "mtconnect-b2mml-gateway_assets_M16-10391.xml"
    doc = read_b2mml((EXAMPLES / name).read_bytes(), name, SCHEMAS)
    assert (doc.version, doc.kind) == ("V0600", "ProductDefinition")
    (product,) = doc.products
    assert product.erp_id == "37431-00"  # the published ID has a trailing blank
    assert product.name.startswith("08D02890-333CSM, Sprocket")
    assert [op.erp_id for op in product.operations] == ["37431"]


def test_third_party_file_with_an_undeclared_prefix_is_refused_with_its_line() -> None:
    name = "mtconnect-b2mml-gateway_Definition.xml"
    with pytest.raises(MalformedXml) as err:
        read_b2mml((EXAMPLES / name).read_bytes(), name, SCHEMAS)
    assert err.value.line == 1
    assert "Namespace prefix b on B2mmlProductDefinition is not defined" in err.value.message


def test_missing_schema_folder_says_which_setting(tmp_path: object) -> None:
    doc = v0600_schedule("S1", [Request("PR-1", "housing-a", 2)])
    with pytest.raises(ConfigError, match="SHOPFLOOR_B2MML_SCHEMA_DIR"):
        read_b2mml(doc, "a.xml", None)
    with pytest.raises(ConfigError, match="no B2MML V0600 schemas"):
        read_b2mml(doc, "a.xml", EXAMPLES)
    assert issubclass(ConfigError, BadInput)


def test_only_production_requests_become_job_orders() -> None:
    from tests.test_erp_support import v0701_schedule

    doc = v0701_schedule("S1", [Request("MR-1", "housing-a", 1)])
    maintenance = doc.replace(b">Production<", b">Maintenance<")
    with pytest.raises(ValidationFailed, match="request MR-1: OperationsType Maintenance"):
        read_b2mml(maintenance, "m.xml", SCHEMAS)
