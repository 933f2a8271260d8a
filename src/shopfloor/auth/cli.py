"""``shopfloor user``: users, passwords and API tokens from the command line.

Whoever runs the command on the machine that holds the auth database acts as an admin; every
change is audited as ``cli`` with the operating-system user's name. Generated passwords and
tokens are printed once and stored only as hashes.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from shopfloor.auth.audit import plain
from shopfloor.auth.db import default_url
from shopfloor.auth.principal import Principal, cli
from shopfloor.auth.roles import Role
from shopfloor.auth.store import AuthStore, open_auth
from shopfloor.config import settings
from shopfloor.errors import BadInput
from shopfloor.historian.spans import parse_duration

app = typer.Typer(no_args_is_help=True, help="Users, passwords and API tokens.")

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Auth database URL (default: sqlite under Settings().data_dir)"),
]
StdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (one line)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


@contextmanager
def _store(db: str | None) -> Iterator[AuthStore]:
    store = open_auth(db or default_url(settings()))
    try:
        yield store
    finally:
        store.close()


def _me() -> Principal:
    try:
        return cli(f"cli:{getpass.getuser()}")
    except (KeyError, OSError):
        return cli()


def _password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise BadInput("--password-stdin: standard input held no password")
    return line


def _emit(obj: Any, as_json: bool) -> None:
    data = plain(obj)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        typer.echo("  ".join(f"{k}={v}" for k, v in row.items() if v is not None))


@app.command("add")
def add(
    username: str,
    role: Annotated[str, typer.Option("--role", help="viewer, operator, engineer or admin")],
    password_stdin: StdinOpt = False,
    db: DbOpt = None,
) -> None:
    """Add a user; without --password-stdin a password is generated and printed once."""
    r = Role.parse(role, "--role")
    with _store(db) as store:
        _user, generated = store.users.add(username, r, _password(password_stdin), by=_me())
    typer.echo(f"user {username} added ({r.label})")
    if generated is not None:
        typer.echo(f"password: {generated}")


@app.command("passwd")
def passwd(username: str, password_stdin: StdinOpt = False, db: DbOpt = None) -> None:
    """Set a user's password (generated and printed once without --password-stdin)."""
    with _store(db) as store:
        generated = store.users.set_password(username, _password(password_stdin), by=_me())
    typer.echo(f"password of {username} changed; their web sessions ended")
    if generated is not None:
        typer.echo(f"password: {generated}")


@app.command("role")
def role_command(username: str, role: str, db: DbOpt = None) -> None:
    """Change a user's role."""
    r = Role.parse(role)
    with _store(db) as store:
        store.users.set_role(username, r, by=_me())
    typer.echo(f"{username} is now {r.label}")


@app.command("disable")
def disable(username: str, db: DbOpt = None) -> None:
    """Disable a user: sessions end, tokens stop working."""
    with _store(db) as store:
        store.users.set_disabled(username, True, by=_me())
    typer.echo(f"{username} disabled")


@app.command("enable")
def enable(username: str, db: DbOpt = None) -> None:
    """Enable a disabled user."""
    with _store(db) as store:
        store.users.set_disabled(username, False, by=_me())
    typer.echo(f"{username} enabled")


@app.command("list")
def list_users(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List users."""
    with _store(db) as store:
        _emit([u.to_dict() for u in store.users.list()], as_json)


@app.command("token")
def token(
    username: str,
    name: Annotated[str, typer.Option("--name", help="What the token is for")],
    role: Annotated[
        str | None, typer.Option("--role", help="A lower role for the token (default: the user's)")
    ] = None,
    ttl: Annotated[
        str | None, typer.Option("--ttl", help="Lifetime, e.g. 30d or 12h (default: no expiry)")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Make an API token for a user; it is printed once (send it as 'Authorization: Bearer')."""
    r = Role.parse(role, "--role") if role is not None else None
    ttl_s = parse_duration(ttl, "--ttl") / 1e9 if ttl is not None else None
    with _store(db) as store:
        secret, row = store.tokens.create(username, name, role=r, ttl_s=ttl_s, by=_me())
    typer.echo(f"token {row.id} for {username} ({row.role}); shown once, keep it safe:")
    typer.echo(secret)


@app.command("tokens")
def tokens(username: str | None = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List API tokens (of one user, or all); never their secrets."""
    with _store(db) as store:
        _emit([t.to_dict(u) for t, u in store.tokens.list(username)], as_json)


@app.command("revoke")
def revoke(token_id: str, db: DbOpt = None) -> None:
    """Revoke an API token by its id."""
    with _store(db) as store:
        store.tokens.revoke(token_id, by=_me())
    typer.echo(f"token {token_id} revoked")
