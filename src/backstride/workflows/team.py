"""Team mode: users, which runners each may see, logins and web sessions.

A runner user *is* a runner (their history is that runner's); a coach or clinician sees the
runners granted to them. Passwords are kept only as argon2id hashes; a session is a random
token in the browser's cookie, of which the database keeps only the SHA-256, so a copy of the
database opens no session.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from backstride.adapters import passwords
from backstride.adapters.storage.store import Store, UserRecord
from backstride.config import Settings
from backstride.errors import InputError, NotFoundError
from backstride.workflows.history import open_store

User = UserRecord
ROLES: Final = ("runner", "coach", "clinician")
MIN_PASSWORD_CHARS: Final = 10
MAX_PASSWORD_CHARS: Final = 1024  # argon2 takes any length; a megabyte "password" is an attack
SESSION_IDLE_S: Final = 30 * 60  # a shared clinic computer left alone logs out
SESSION_MAX_S: Final = 12 * 60 * 60  # a working day: then log in again, whatever happened
SESSION_TOUCH_S: Final = 60  # last-seen is written at most once a minute, not every request
NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
NAME_RULE: Final = "1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
WRONG_LOGIN: Final = "Wrong username or password."


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """Who is logged in, and whose data they are looking at (None: a coach or clinician who
    has not picked one of their runners yet)."""

    user: User
    runner: str | None


def _check_name(name: str, what: str) -> str:
    if not NAME.fullmatch(name):
        raise InputError(f"{what} {name!r} is not allowed: use {NAME_RULE}.")
    return name


def check_password(password: str, *, username: str) -> None:
    """The password rules, with a message that never repeats the password."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"The password has {len(password)} characters; use at least "
                         f"{MIN_PASSWORD_CHARS} (a few unrelated words make a good one).")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InputError(f"The password is longer than {MAX_PASSWORD_CHARS} characters; use a "
                         "shorter one.")
    if password.strip().lower() == username.lower():
        raise InputError("The password is the username; choose another one.")


def add_user(*, settings: Settings, username: str, password: str, role: str,
             runner: str | None = None, sees: Sequence[str] = ()) -> User:
    """A new user. A runner user is the runner ``runner`` (default: their username; an
    existing runner, such as the local runner "me", keeps its history); a coach or clinician
    sees the runners in ``sees``, which must exist."""
    _check_name(username, "The username")
    if role not in ROLES:
        raise InputError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    check_password(password, username=username)
    if role == "runner":
        if sees:
            raise InputError("--sees is for coaches and clinicians; a runner sees only their "
                             "own data.")
        runner = _check_name(runner or username, "The runner name")
    elif runner is not None:
        raise InputError(f"--runner is for runner users; a {role} sees runners given with "
                         "--sees (or 'backstride users grant').")
    wanted = tuple(dict.fromkeys(_check_name(name, "The runner name") for name in sees))
    password_hash = passwords.hash_password(password)
    with open_store(settings) as store:
        if store.user(username) is not None:
            raise InputError(f"There is already a user named {username!r}; choose another "
                             "name, or remove that user first.")
        if runner is not None:
            taken = [u.username for u in store.list_users() if u.runner == runner]
            if taken:
                raise InputError(f"The runner {runner!r} already has a login ({taken[0]}); "
                                 "give this user another --runner name.")
        _require_runners(store, wanted)
        return store.add_user(username=username, password_hash=password_hash, role=role,
                              runner=runner, sees=wanted)


def _require_runners(store: Store, names: Sequence[str]) -> None:
    for name in names:
        if not store.runner_exists(name):
            raise NotFoundError(f"There is no runner {name!r}. Add them first: backstride "
                                f"users add NAME --role runner --runner {name}")


def list_users(*, settings: Settings) -> tuple[UserRecord, ...]:
    """Every user with role and runners (a UserRecord never holds the password hash)."""
    with open_store(settings) as store:
        return tuple(store.list_users())


def count_users(*, settings: Settings) -> int:
    with open_store(settings) as store:
        return len(store.list_users())


def remove_user(username: str, *, settings: Settings) -> None:
    """The login and its sessions end at once; the runner's history stays."""
    with open_store(settings) as store:
        if not store.remove_user(username):
            raise NotFoundError(f"There is no user {username!r}. See 'backstride users list'.")


def _staff(store: Store, username: str) -> User:
    user = store.user(username)
    if user is None:
        raise NotFoundError(f"There is no user {username!r}. See 'backstride users list'.")
    if user.role == "runner":
        raise InputError(f"{username} is a runner and sees only their own data; grant runners "
                         "to a coach or clinician.")
    return user


def grant_runner(username: str, runner: str, *, settings: Settings) -> bool:
    """Let a coach or clinician see a runner; False when they already could."""
    with open_store(settings) as store:
        _staff(store, username)
        _require_runners(store, [runner])
        return store.grant(username, runner)


def revoke_runner(username: str, runner: str, *, settings: Settings) -> bool:
    """Take a runner away from a coach or clinician; their open sessions lose it at once."""
    with open_store(settings) as store:
        user = _staff(store, username)
        if runner not in user.sees:
            raise NotFoundError(f"{username} does not see {runner!r}; see 'backstride users "
                                "list'.")
        return store.revoke(username, runner)


def check_team_ready(*, settings: Settings) -> int:
    """Team mode needs at least one user; returns how many there are. Also prepares the
    unknown-user check, so the first failed login takes no longer than the others."""
    count = count_users(settings=settings)
    if count == 0:
        raise InputError("Team mode needs at least one user, and there are none: add one with "
                         "'backstride users add NAME --role runner|coach|clinician', then "
                         "start 'backstride serve --team' again.")
    passwords.verify_nobody("")
    return count


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(username: str, password: str, *, settings: Settings,
           replaces: str | None = None) -> tuple[str, Session]:
    """A new session token for a correct username and password (any session ``replaces``
    names ends: the session id changes at every login). A wrong name and a wrong password
    fail alike, in about the same time."""
    with open_store(settings) as store:
        found = (store.user_credentials(username)
                 if NAME.fullmatch(username) and len(password) <= MAX_PASSWORD_CHARS else None)
        if found is None:
            passwords.verify_nobody(password[:MAX_PASSWORD_CHARS])
            raise InputError(WRONG_LOGIN)
        user, stored = found
        if not passwords.verify_password(stored, password):
            raise InputError(WRONG_LOGIN)
        if passwords.needs_rehash(stored):
            store.set_password_hash(username, passwords.hash_password(password))
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        # A runner looks at their own data; a coach with one runner needs no picker.
        runner = user.runners[0] if len(user.runners) == 1 else None
        store.create_session(username=username, token_sha256=_digest(token), now=now,
                             expires_utc=now + timedelta(seconds=SESSION_MAX_S), runner=runner,
                             stale_before=now - timedelta(seconds=SESSION_IDLE_S),
                             replaces=None if replaces is None else _digest(replaces))
    return token, Session(user=user, runner=runner)


def open_session(token: str | None, *, settings: Settings) -> Session | None:
    """The session of a cookie's token; None when there is none, or it has expired (idle for
    SESSION_IDLE_S or older than SESSION_MAX_S: then it is ended)."""
    if not token or len(token) > 128:
        return None
    now = datetime.now(UTC)
    with open_store(settings) as store:
        found = store.session(_digest(token), now=now,
                              stale_before=now - timedelta(seconds=SESSION_IDLE_S),
                              touch_before=now - timedelta(seconds=SESSION_TOUCH_S))
    if found is None:
        return None
    user, runner = found
    # Checked on every request: a grant taken away since takes the runner away at once.
    return Session(user=user, runner=runner if runner in user.runners else None)


def choose_runner(token: str, session: Session, runner: str, *, settings: Settings) -> Session:
    """Look at one of the user's runners. Any other name is "no such runner", whether it
    exists or not, so names do not leak."""
    if runner not in session.user.runners:
        raise NotFoundError(f"There is no runner {runner!r} among yours.")
    if runner != session.runner:
        with open_store(settings) as store:
            store.set_session_runner(_digest(token), runner)
    return Session(user=session.user, runner=runner)


def log_out(token: str | None, *, settings: Settings) -> None:
    """End the session on the server: the cookie's token opens nothing any more."""
    if token:
        with open_store(settings) as store:
            store.end_session(_digest(token))

