"""Password hashing for team mode: argon2id through argon2-cffi (the ``team`` extra).

Its default parameters are RFC 9106's second recommended profile (argon2id, 64 MiB, 3 passes,
4 lanes), and its verify compares in constant time. A hash made with older parameters is
re-hashed at the next successful login (``needs_rehash``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from backstride.errors import MissingDependencyError

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:
        raise MissingDependencyError("Team mode (logins)", "team") from exc
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash with a fresh random salt, in the PHC string format."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("backstride: a password nobody has")


def verify_nobody(password: str) -> None:
    """Do the work of one verify for a name that does not exist, so the time a login takes
    does not tell which usernames do."""
    verify_password(_dummy_hash(), password)
