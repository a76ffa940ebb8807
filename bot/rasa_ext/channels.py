"""Input channels: REST with metadata, and socket.io with working session persistence.

REST: forwards the ``metadata`` object of the request body to the tracker.

Rasa's plain REST channel drops it; the chat page and the end-to-end test send the business
log-in token there (``{"sender", "message", "metadata": {"token": ...}}``). It keeps the name
``rest``, so the webhook stays at ``/webhooks/rest/webhook``.
"""
from __future__ import annotations

import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from sanic.request import Request


class MetadataRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json or {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None


class PersistentSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with session persistence that works on python-socketio >= 5.10.

    Rasa 3.6 calls ``sio.enter_room(...)`` without ``await`` (RasaHQ/rasa#13027); on current
    python-socketio that is a coroutine, so the browser never joins the room named after its
    session id and receives no ``bot_uttered`` at all (nor pushes sent to the conversation).
    This re-registers the ``session_request`` handler with the await; the name stays ``socketio``.
    """

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio = webhook.ctx.sio

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = (data or {}).get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        sio.on("session_request", session_request, namespace=self.namespace)
        return webhook
