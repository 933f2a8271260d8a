"""The auth store: hashed passwords, tokens, the append-only audit log, the CLI, the docs table."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from shopfloor.api.app import endpoint_table
from shopfloor.auth import Role, Unauthenticated, UserConflict, open_auth, permission_table
from shopfloor.auth.principal import system
from shopfloor.auth.store import AuthStore
from shopfloor.cli import main
from shopfloor.clock import NS_PER_S, VirtualClock

DOCS = Path(__file__).resolve().parents[1] / "docs" / "api.md"


@pytest.fixture(name="store")
def store_fixture(tmp_path: Path) -> AuthStore:
    return open_auth(f"sqlite:///{tmp_path / 'auth.sqlite'}", clock=VirtualClock())


def test_passwords_are_stored_as_argon2_hashes(store: AuthStore, tmp_path: Path) -> None:
    _user, generated = store.users.add("li", Role.OPERATOR, by=system())
    assert generated is not None and len(generated) >= 20
    assert store.users.authenticate("li", generated).username == "li"
    raw = sqlite3.connect(tmp_path / "auth.sqlite").execute("SELECT * FROM auth_user").fetchall()
    assert generated not in repr(raw) and "$argon2id$" in repr(raw)
    for name, password in (("li", "wrong-password"), ("nobody", generated)):
        with pytest.raises(Unauthenticated, match="wrong username or password"):
            store.users.authenticate(name, password)
    store.users.add("boss", Role.ADMIN, "boss-password", by=system())
    store.users.set_disabled("li", True, by=system())
    with pytest.raises(Unauthenticated):
        store.users.authenticate("li", generated)
    with pytest.raises(UserConflict, match="last enabled admin"):
        store.users.set_role("boss", Role.VIEWER, by=system())


def test_tokens_resolve_until_revoked_or_expired(store: AuthStore, tmp_path: Path) -> None:
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    store.users.add("eng", Role.ENGINEER, "eng-password", by=system())
    token, row = store.tokens.create("eng", "script", ttl_s=60, by=system())
    stored = sqlite3.connect(tmp_path / "auth.sqlite").execute("SELECT * FROM auth_token")
    assert token.split("_", 2)[2] not in repr(stored.fetchall())
    who = store.tokens.resolve(token)
    assert (who.username, who.role, who.via) == ("eng", Role.ENGINEER, "token")
    store.users.set_role("eng", Role.VIEWER, by=system())
    assert store.tokens.resolve(token).role is Role.VIEWER  # the lower of token and user
    with pytest.raises(Unauthenticated):
        store.tokens.resolve(token[:-1] + ("A" if token[-1] != "A" else "B"))
    clock.advance_s(61)
    with pytest.raises(Unauthenticated):
        store.tokens.resolve(token)
    token2, row2 = store.tokens.create("eng", "other", by=system())
    store.tokens.revoke(row2.id, by=system())
    with pytest.raises(Unauthenticated):
        store.tokens.resolve(token2)
    assert row.expires_ns == row.created_ns + 60 * NS_PER_S


def test_the_audit_log_is_append_only_in_the_database(store: AuthStore, tmp_path: Path) -> None:
    store.users.add("li", Role.OPERATOR, "li-password-1", by=system())
    store.users.set_role("li", Role.ENGINEER, by=system())
    entries = store.audit.query()
    assert [e.action for e in entries] == ["user.role", "user.add"]
    before, after = entries[0].before, entries[0].after
    assert before is not None and after is not None
    assert (before["role"], after["role"]) == ("operator", "engineer")
    assert "password_hash" not in repr([e.to_dict() for e in entries])
    con = sqlite3.connect(tmp_path / "auth.sqlite")
    for sql in ("UPDATE auth_audit SET actor = 'x'", "DELETE FROM auth_audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
    assert con.execute("SELECT count(*) FROM auth_audit").fetchone() == (2,)
    assert not [m for m in dir(store.audit) if re.match(r"(update|delete|remove|edit)", m)]


def test_cli_adds_users_changes_passwords_and_makes_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    assert main(["user", "add", "zhang", "--role", "operator", "--db", db]) == 0
    password = re.search(r"password: (\S+)", capsys.readouterr().out)
    assert password is not None
    assert main(["user", "passwd", "zhang", "--db", db]) == 0
    new = re.search(r"password: (\S+)", capsys.readouterr().out)
    assert new is not None and new.group(1) != password.group(1)
    assert main(["user", "token", "zhang", "--name", "scanner", "--ttl", "30d", "--db", db]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["user", "add", "Bad Name", "--role", "viewer", "--db", db]) == 2
    assert "username" in capsys.readouterr().err
    assert main(["user", "add", "x", "--role", "root", "--db", db]) == 2
    with open_auth(db) as store:
        store.users.authenticate("zhang", new.group(1))
        assert store.tokens.resolve(token).username == "zhang"
        actors = {e.actor for e in store.audit.query()}
        assert all(a.startswith("cli") for a in actors)


def test_first_admin_gets_a_fresh_password_each_time(store: AuthStore) -> None:
    first = store.first_admin()
    again = store.first_admin()
    assert first.password != again.password
    store.users.authenticate("admin", again.password)
    with pytest.raises(Unauthenticated):
        store.users.authenticate("admin", first.password)


def test_docs_show_the_permission_and_endpoint_tables() -> None:
    text = DOCS.read_text("utf-8")
    assert permission_table() in text
    assert endpoint_table() in text


def test_audit_records_carry_wall_time_and_plant_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    wall, plant = VirtualClock(1_796_000_000 * NS_PER_S), VirtualClock(1_736_143_200 * NS_PER_S)
    store = open_auth(url, clock=wall)
    store.audit.plant_clock = plant
    store.users.add("ana", Role.OPERATOR, by=system())
    (entry,) = store.audit.query(action="user.add")
    assert (entry.ts_ns, entry.plant_ts_ns) == (wall.now_ns(), plant.now_ns())
    assert entry.to_dict()["plant_ts_ns"] == plant.now_ns()
    store.close()


def test_an_audit_log_of_an_earlier_version_gets_the_plant_time_column(tmp_path: Path) -> None:
    path = tmp_path / "auth.sqlite"
    open_auth(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:  # as an earlier version made it: no plant time column
        db.execute("DROP TRIGGER IF EXISTS auth_audit_no_update")
        db.execute("DROP TRIGGER IF EXISTS auth_audit_no_delete")
        db.execute("ALTER TABLE auth_audit DROP COLUMN plant_ts_ns")
    store = open_auth(f"sqlite:///{path}")
    store.users.add("bo", Role.VIEWER, by=system())
    (entry,) = store.audit.query(action="user.add")
    assert entry.plant_ts_ns is None  # no plant clock given: none recorded, nothing fails
    store.close()
