"""Passwords, API tokens and session ids: how they are made, stored and checked.

Passwords are hashed with argon2id (``argon2-cffi``, its default parameters: RFC 9106's
low-memory profile); a hash made with older parameters is replaced at the next login. API
tokens read ``sft_<id>_<secret>``: ``id`` finds the row, the secret (256 random bits) is stored as
its SHA-256 digest and compared in constant time. Session ids are 256 random bits, stored as
digests too. Generated passwords have 128 random bits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shopfloor.errors import BadInput

TOKEN_PREFIX = "sft"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024

_hasher = PasswordHasher()


def check_password_rules(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadInput(
            f"password: at least {MIN_PASSWORD} characters, got {len(password)}", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise BadInput(f"password: at most {MAX_PASSWORD} characters", field="password")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password_rules(password))


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


@cache
def dummy_hash() -> str:
    """A hash of a password nobody knows: a login of an unknown user costs what a wrong one does."""
    return _hasher.hash(secrets.token_urlsafe(16))


def new_password() -> str:
    """A random password (128 bits, URL-safe characters)."""
    return secrets.token_urlsafe(16)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def new_token() -> tuple[str, str, str]:
    """``(token, id, secret digest)``: the token is shown once, the digest is stored."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{token_id}_{secret}", token_id, digest(secret)


def split_token(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a token, or None when it does not look like one."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)
