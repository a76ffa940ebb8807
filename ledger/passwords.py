"""Password hashing with argon2 (argon2-cffi defaults, RFC 9106 low-memory profile)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from huiqi.errors import Invalid

_hasher = PasswordHasher()
MIN_LENGTH = 8


def hash_password(password: str, field: str = "password") -> str:
    if len(password or "") < MIN_LENGTH:
        raise Invalid("WEAK_PASSWORD", f"密码至少需要{MIN_LENGTH}位，请重新设置。", field=field)
    return _hasher.hash(password)


_DUMMY_HASH = _hasher.hash("no account has this password")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash (unknown account) the same work is done against a dummy
    hash, so that an unknown account is refused as slowly as a wrong password."""
    if stored_hash is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(stored_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False
