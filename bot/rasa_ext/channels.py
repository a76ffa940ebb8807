"""REST channel that forwards the ``metadata`` object of the request body to the tracker.

Rasa's plain REST channel drops it; the chat page and the end-to-end test send the business
log-in token there (``{"sender", "message", "metadata": {"token": ...}}``). It keeps the name
``rest``, so the webhook stays at ``/webhooks/rest/webhook``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.request import Request


class MetadataRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json or {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None
