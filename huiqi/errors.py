"""Domain errors shared by the ledger, the policy base and their adapters.

Each error carries a stable machine code (UPPER_SNAKE, never renamed once published) and a
Simplified-Chinese message that tells the user what to do. The API maps the class to an HTTP
status; the bot actions show the message.
"""
from __future__ import annotations


class HuiqiError(Exception):
    http_status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(HuiqiError):
    """Missing, or not visible to this user (existence is not revealed)."""
    http_status = 404


class Conflict(HuiqiError):
    """Refused in the current state (e.g. a forbidden status transition, a duplicate)."""
    http_status = 409


class Invalid(HuiqiError):
    """Malformed input; ``field`` names the offending field when there is one."""
    http_status = 422


class Forbidden(HuiqiError):
    """Authenticated but not allowed to do this (only for actions, never to hide existence)."""
    http_status = 403
