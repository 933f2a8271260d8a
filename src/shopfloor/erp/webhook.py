"""Webhooks: POST a document to a configured URL, signed, retried on failure.

Each hook names a URL, the document it wants (``json``, ``b2mml-v0600`` or ``b2mml-v0701``) and a
secret (``secret``, or ``secret_env``: the name of an environment variable holding it). Every
request carries::

    X-Shopfloor-Event: order.completed
    X-Shopfloor-Delivery: <id, the same for every retry of one delivery>
    X-Shopfloor-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>

Connection errors, timeouts, 5xx, 408 and 429 are retried ``retries`` times with exponential
back-off (``backoff_s``, doubled each time); another 4xx is not retried (the receiver refused the
document).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shopfloor import __version__
from shopfloor.erp.errors import WebhookFailed
from shopfloor.errors import ConfigError, ValidationFailed
from shopfloor.plant.loader import format_loc

SIGNATURE_HEADER = "X-Shopfloor-Signature"
DELIVERY_HEADER = "X-Shopfloor-Delivery"
EVENT_HEADER = "X-Shopfloor-Event"
_RETRY_STATUS = {408, 429}


class Hook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    format: Literal["json", "b2mml-v0600", "b2mml-v0701"] = "json"
    secret: str | None = Field(None, min_length=1)
    secret_env: str | None = Field(None, min_length=1)
    timeout_s: float = Field(10.0, gt=0)
    retries: int = Field(4, ge=0, le=20)
    backoff_s: float = Field(1.0, ge=0)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{v!r} is not an http:// or https:// URL")
        return v

    @property
    def key(self) -> str:
        """Names the hook in the delivery record."""
        return f"{self.format} {self.url}"[:255]

    def secret_bytes(self) -> bytes:
        if self.secret_env:
            value = os.environ.get(self.secret_env)
            if not value:
                raise ConfigError(
                    f"webhook {self.url}: environment variable {self.secret_env} "
                    "(secret_env) is not set"
                )
            return value.encode()
        if self.secret:
            return self.secret.encode()
        raise ConfigError(f"webhook {self.url}: give secret or secret_env")


class HooksFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hooks: tuple[Hook, ...] = Field(min_length=1)


def load_hooks(path: Path) -> tuple[Hook, ...]:
    """The hooks of a YAML, TOML or JSON file; every error named by its path in the file."""
    try:
        text = path.read_text("utf-8")
        doc = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"webhooks file {path}: {exc.strerror}") from None
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"webhooks file {path} cannot be read: {exc}") from None
    try:
        hooks = HooksFile.model_validate(doc).hooks
    except ValidationError as exc:
        raise ValidationFailed(
            f"webhooks file {path}", [(format_loc(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        ) from None
    for h in hooks:
        h.secret_bytes()
    return hooks


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` (for receivers; constant time)."""
    return hmac.compare_digest(sign(secret, body), header)


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    body: bytes
    content_type: str
    event: str = "order.completed"


def _post(hook: Hook, d: Delivery) -> int:
    parts = urlsplit(hook.url)
    conn_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn: Any = conn_type(parts.hostname or "", parts.port, timeout=hook.timeout_s)
    headers = {
        "Content-Type": d.content_type,
        "User-Agent": f"shopfloor/{__version__}",
        EVENT_HEADER: d.event,
        DELIVERY_HEADER: d.delivery_id,
        SIGNATURE_HEADER: sign(hook.secret_bytes(), d.body),
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=d.body, headers=headers)
        response = conn.getresponse()
        response.read()
        return int(response.status)
    finally:
        conn.close()


async def deliver(hook: Hook, d: Delivery) -> int:
    """POST ``d`` to ``hook`` with retries; the attempts it took, or :class:`WebhookFailed`."""
    error = ""
    for attempt in range(1, hook.retries + 2):
        try:
            status = await asyncio.to_thread(_post, hook, d)
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if 200 <= status < 300:
                return attempt
            error = f"HTTP {status}"
            if status < 500 and status not in _RETRY_STATUS:
                raise WebhookFailed(
                    f"webhook {hook.url} refused delivery {d.delivery_id}: {error} (not retried)",
                    attempts=attempt,
                )
        if attempt <= hook.retries:
            await asyncio.sleep(hook.backoff_s * 2 ** (attempt - 1))
    raise WebhookFailed(
        f"webhook {hook.url}: delivery {d.delivery_id} failed {hook.retries + 1} times; "
        f"last: {error}",
        attempts=hook.retries + 1,
    )
