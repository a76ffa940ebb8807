"""JSON responses for the console's hot read routes (the problem queue, a problem, the dossier, the
enterprise list), written straight from the ledger's records.

A route with ``response_model`` normally has FastAPI validate every record against the model and then
serialise it with pydantic: for a queue of 200 problems that took more time than the SQL. These routes
keep ``response_model`` (``/docs`` and the contract tests use it) and return ``LedgerJSON``, which
serialises the records with orjson. Their schemas let every extra field through unchanged (``extra`` is
allowed), so validation would change nothing: tests/test_api_responses.py checks, on each of these
routes, that the body validates against the route's model and equals what FastAPI's own validation and
serialisation produce for the same records.
"""
from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class LedgerJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
