"""What the chat keeps of a log-in token: its SHA-256 digest, never the token itself.

The chat page sends the business's bearer token with each message (``metadata.token``). Rasa's tracker
store keeps every message's metadata for good, and admins read conversations from it (the review queue),
so the channel replaces the token by its digest before the dialogue sees the message
(``bot/rasa_ext/channels.py``), and the actions find the log-in session by that digest
(``ledger.auth_sessions.by_digest``). A digest is no credential: the API wants the token, and the
channel drops any digest a client sends and hashes only a token. No imports beyond the standard
library: Rasa's virtualenv loads this module too.
"""
from __future__ import annotations

import hashlib
from typing import Any

TOKEN_KEY = "token"
DIGEST_KEY = "token_digest"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def chat_metadata(metadata: Any) -> dict:
    """Message metadata as the chat keeps it: ``token`` replaced by ``token_digest``; a ``token_digest`` the
    client sent itself is dropped."""
    meta = dict(metadata) if isinstance(metadata, dict) else {}
    meta.pop(DIGEST_KEY, None)
    token = meta.pop(TOKEN_KEY, None)
    if isinstance(token, str) and token:
        meta[DIGEST_KEY] = token_digest(token)
    return meta
