"""What a birth certificate tells about later DATA messages: alias -> name and datatype.

A Sparkplug NBIRTH/DBIRTH names every metric and gives its datatype (and an alias when aliases
are used); NDATA/DDATA may then send only the alias, and may leave the datatype out. Decoding
such a message needs the birth's table. Build it once per birth with :meth:`AliasTable.from_birth`
and pass it to every decode: lookups are dict hits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from shopfloor.connect.sparkplug.datatypes import DataType
from shopfloor.connect.sparkplug.model import Metric, Payload
from shopfloor.connect.sparkplug.values import from_wire
from shopfloor.errors import DecodeError


class UnknownAliasError(DecodeError):
    """A metric carries only an alias that the birth does not define (the host should ask for a
    rebirth)."""

    code = "codec.unknown_alias"


@dataclass(frozen=True)
class BirthEntry:
    name: str
    datatype: DataType | None


@dataclass
class AliasTable:
    """Alias -> (name, datatype) and name -> datatype, taken from one birth payload."""

    by_alias: dict[int, BirthEntry] = field(default_factory=dict)
    by_name: dict[str, BirthEntry] = field(default_factory=dict)

    @classmethod
    def from_birth(cls, birth: Payload) -> AliasTable:
        table = cls()
        for m in birth.metrics:
            if m.name is None:
                continue
            entry = BirthEntry(m.name, m.datatype)
            table.by_name.setdefault(m.name, entry)
            if m.alias is not None:
                table.by_alias.setdefault(m.alias, entry)
        return table

    def lookup(self, name: str | None, alias: int | None, offset: int | None) -> BirthEntry | None:
        """The birth entry of a metric, by alias first, then by name.

        An alias-only metric whose alias the birth does not define raises
        :class:`UnknownAliasError`; a named metric the birth does not know gives ``None``.
        """
        if alias is not None:
            entry = self.by_alias.get(alias)
            if entry is not None:
                return entry
            if name is None:
                raise UnknownAliasError(f"alias {alias} is not defined by the birth", offset)
        return self.by_name.get(name) if name is not None else None


def as_table(birth: Payload | AliasTable | None) -> AliasTable | None:
    if birth is None or isinstance(birth, AliasTable):
        return birth
    return AliasTable.from_birth(birth)


def resolve(p: Payload, table: AliasTable) -> Payload:
    """``p`` (decoded without a birth) with names and datatypes filled in from ``table``.

    Raw values of metrics that had no datatype are converted to the birth's type exactly as
    decoding with the birth would have done (errors carry no offset: the bytes are gone).
    """
    return replace(p, metrics=[_resolve_metric(m, table) for m in p.metrics])


def _resolve_metric(m: Metric, table: AliasTable) -> Metric:
    if m.name is not None and m.datatype is not None:
        return m
    entry = table.lookup(m.name, m.alias, None)
    if entry is None:
        return m
    out = replace(m)
    if out.name is None:
        out.name, out.name_from_birth = entry.name, True
    if out.datatype is None and entry.datatype is not None:
        out.datatype, out.datatype_from_birth = entry.datatype, True
        if m.wire_field is not None and m.value is not None:
            out.value = from_wire(entry.datatype, m.wire_field, m.value, None)
            out.wire_field = None
    return out
