"""Engineering units: a tag's UCUM unit string as OPC UA ``EUInformation``.

OPC UA identifies units by their UN/CEFACT (UNECE Recommendation 20) common code, packed into
``UnitId`` one byte per character (OPC 10000-8, 5.6.3). The display name is the UCUM string the
plant file declares, unchanged. Units without a known common code get ``UnitId`` -1, which the
specification reserves for "not available".
"""

from __future__ import annotations

from asyncua import ua

CEFACT_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"
UNKNOWN_UNIT_ID = -1

#: UCUM string -> UN/CEFACT common code, for the units the plant files use.
CEFACT_CODES: dict[str, str] = {
    "1": "C62",  # one (dimensionless count)
    "%": "P1",
    "Cel": "CEL",
    "K": "KEL",
    "s": "SEC",
    "min": "MIN",
    "h": "HUR",
    "/min": "C94",  # reciprocal minute (spindle speed in rev/min)
    "{rev}/min": "RPM",
    "Hz": "HTZ",
    "mm": "MMT",
    "m": "MTR",
    "um": "4H",
    "mm/s": "C16",
    "mm/min": "H81",
    "m/s": "MTS",
    "m/s2": "MSK",
    "N": "NEU",
    "kN": "B47",
    "N.m": "NU",
    "bar": "BAR",
    "Pa": "PAL",
    "kPa": "KPA",
    "L/min": "L2",
    "mL/min": "41",
    "A": "AMP",
    "V": "VLT",
    "W": "WTT",
    "kW": "KWT",
    "kW.h": "KWH",
    "kg": "KGM",
    "g": "GRM",
    "dB": "2N",
    "ug/m3": "GQ",
}


def unit_id(code: str) -> int:
    """Pack a common code into an OPC UA ``UnitId`` (one byte per character, left first)."""
    value = 0
    for ch in code:
        value = (value << 8) | ord(ch)
    return value


def eu_information(ucum: str) -> ua.EUInformation:
    code = CEFACT_CODES.get(ucum)
    return ua.EUInformation(
        NamespaceUri=CEFACT_NAMESPACE,
        UnitId=unit_id(code) if code else UNKNOWN_UNIT_ID,
        DisplayName=ua.LocalizedText(ucum),
        Description=ua.LocalizedText(ucum),
    )
