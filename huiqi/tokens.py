"""Signed bearer tokens shared by the API (issues them) and the bot actions (verify them)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt

from huiqi.settings import Settings, get_settings

ALGORITHM = "HS256"


class TokenError(ValueError):
    """The token is missing, malformed, expired or not signed by us."""


def issue(subject: str, role: str, settings: Settings | None = None, **claims) -> str:
    """A token for a staff member (role leader/cadre/admin) or an enterprise (role enterprise)."""
    s = settings or get_settings()
    now = datetime.now(timezone.utc)
    payload = {"sub": subject, "role": role, "iat": now, "exp": now + timedelta(minutes=s.token_minutes), **claims}
    return jwt.encode(payload, s.signing_key(), algorithm=ALGORITHM)


def verify(token: str, settings: Settings | None = None) -> dict:
    s = settings or get_settings()
    try:
        return jwt.decode(token, s.signing_key(), algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("登录已过期，请重新登录。") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("登录凭证无效，请重新登录。") from exc
