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


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False
