"""OPC UA security policies and message security modes, by the names the plant and settings use.

shopfloor supports the policies ``None`` and ``Basic256Sha256`` (the plant model's
``Endpoint.security``). A server offering ``Basic256Sha256`` exposes it with both message
security modes, ``Sign`` and ``SignAndEncrypt``; a client picks one.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from asyncua import ua
from asyncua.crypto import security_policies

from shopfloor.errors import ConfigError


class SecurityPolicy(StrEnum):
    NONE = "None"
    BASIC256SHA256 = "Basic256Sha256"

    @property
    def uri(self) -> str:
        return f"http://opcfoundation.org/UA/SecurityPolicy#{self.value}"

    @property
    def secure(self) -> bool:
        return self is not SecurityPolicy.NONE


class SecurityMode(StrEnum):
    NONE = "None"
    SIGN = "Sign"
    SIGN_AND_ENCRYPT = "SignAndEncrypt"

    @property
    def ua_mode(self) -> ua.MessageSecurityMode:
        return {
            SecurityMode.NONE: ua.MessageSecurityMode.None_,
            SecurityMode.SIGN: ua.MessageSecurityMode.Sign,
            SecurityMode.SIGN_AND_ENCRYPT: ua.MessageSecurityMode.SignAndEncrypt,
        }[self]


_SERVER_TYPES: dict[SecurityPolicy, tuple[ua.SecurityPolicyType, ...]] = {
    SecurityPolicy.NONE: (ua.SecurityPolicyType.NoSecurity,),
    SecurityPolicy.BASIC256SHA256: (
        ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        ua.SecurityPolicyType.Basic256Sha256_Sign,
    ),
}

_POLICY_CLASSES: dict[SecurityPolicy, type[security_policies.SecurityPolicy]] = {
    SecurityPolicy.NONE: security_policies.SecurityPolicyNone,
    SecurityPolicy.BASIC256SHA256: security_policies.SecurityPolicyBasic256Sha256,
}


def parse_policies(names: Iterable[str], key: str = "security") -> tuple[SecurityPolicy, ...]:
    """Policies by name, in the given order without repeats; :class:`ConfigError` if unknown."""
    out: list[SecurityPolicy] = []
    known = ", ".join(p.value for p in SecurityPolicy)
    if isinstance(names, str):
        names = (names,)
    for name in names:
        try:
            policy = SecurityPolicy(name)
        except ValueError:
            raise ConfigError(
                f"{key}: unknown OPC UA security policy {name!r} (use {known})"
            ) from None
        if policy not in out:
            out.append(policy)
    if not out:
        raise ConfigError(f"{key}: name at least one OPC UA security policy ({known})")
    return tuple(out)


def server_policy_types(policies: Iterable[SecurityPolicy]) -> list[ua.SecurityPolicyType]:
    """The asyncua endpoint types a server offering ``policies`` exposes."""
    return [t for p in policies for t in _SERVER_TYPES[p]]


def policy_class(policy: SecurityPolicy) -> type[security_policies.SecurityPolicy]:
    """The asyncua policy class (for ``Client.set_security``)."""
    return _POLICY_CLASSES[policy]
