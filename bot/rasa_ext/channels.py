"""Input channels: REST with metadata, and socket.io with working session persistence; both guarded.

Guard (``guarded``, on both channels): a message that the dialogue must not see is answered at the
channel with a named response of ``bot/domain.yml`` and never reaches NLU or the tracker:

- empty or whitespace-only (or not text at all): ``utter_empty_message``;
- longer than ``MAX_MESSAGE_CHARS``: ``utter_message_too_long`` (Rasa's RegexFeaturizer costs
  matches × tokens, so one 50k-character message held every conversation for seconds);
- an intent typed as ``/name``, which Rasa would take as that intent with no NLU, when the name is
  an internal one (``EXTERNAL_*`` such as the staff's hand-back, Rasa's ``restart``,
  ``session_start``, ``back``, ``nlu_fallback``), not an intent of the domain, or carries entities
  or other text: ``utter_internal_command``. The buttons' payloads (``/affirm``, ``/cancel``…)
  stay allowed.

Every message that passes has its log-in token replaced by the token's digest
(``huiqi.token_digest.chat_metadata``), so the tracker store never holds a bearer token.

REST: forwards the ``metadata`` object of the request body to the tracker.

Rasa's plain REST channel drops it; the chat page and the end-to-end test send the business
log-in token there (``{"sender", "message", "metadata": {"token": ...}}``). It keeps the name
``rest``, so the webhook stays at ``/webhooks/rest/webhook``.
"""
from __future__ import annotations

import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Collection, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from huiqi.token_digest import chat_metadata

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
INTERNAL_INTENTS = frozenset({"restart", "session_start", "back", "nlu_fallback"})  # Rasa's own
EXTERNAL_PREFIX = "EXTERNAL_"  # intents triggered by staff through the API, never typed
ORIGINS_ENV = "HUIQI_CORS_ORIGINS"  # comma-separated origins of the chat site, set by the supervisor
_COMMAND = re.compile(r"^\s*/([^\s{@]*)(.*)$", re.S)

log = logging.getLogger(__name__)
Handler = Callable[[UserMessage], Awaitable[Any]]


def refusal(text: Any, user_intents: Collection[Text]) -> Optional[Text]:
    """The named response answering a message the dialogue must not see, or None to pass it on."""
    if not isinstance(text, str) or not text.strip():
        return "utter_empty_message"
    if len(text) > MAX_MESSAGE_CHARS:
        return "utter_message_too_long"
    command = _COMMAND.match(text)
    if command:
        intent, rest = command.group(1), command.group(2).strip()
        if (rest or intent.startswith(EXTERNAL_PREFIX) or intent in INTERNAL_INTENTS
                or intent not in user_intents):
            return "utter_internal_command"
    return None


def _agent() -> Any:
    for app in Sanic._app_registry.values():
        agent = getattr(app.ctx, "agent", None)
        if agent is not None:
            return agent
    return None


def _response_text(agent: Any, name: Text) -> Optional[Text]:
    variants = agent.domain.responses.get(name) if agent and agent.domain else None
    return (variants or [{}])[0].get("text")


def guarded(on_new_message: Handler) -> Handler:
    """Wrap a channel's message handler with the guard described in the module docstring."""

    async def handle(message: UserMessage) -> Any:
        agent = _agent()
        intents = agent.domain.intents if agent and agent.domain else ()
        answer = refusal(message.text, intents)
        if answer is None:
            message.metadata = chat_metadata(message.metadata)
            return await on_new_message(message)
        log.info("message of %s answered at the channel: %s", message.sender_id, answer)
        text = _response_text(agent, answer)
        if text:
            await message.output_channel.send_text_message(message.sender_id, text)
        return None

    return handle


def site_origins(environ: Dict[Text, Text]) -> list:
    return [o.strip() for o in environ.get(ORIGINS_ENV, "").split(",") if o.strip()]


class MetadataRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        """The conversation id; a body that is not a JSON object, or has no usable ``sender``, is a 400 (Rasa's
        channel failed with a 500 on a JSON array, and put messages without a sender into one shared
        conversation named "default")."""
        body = req.json
        sender = body.get("sender") if isinstance(body, dict) else None
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise InvalidUsage("请求格式不对：请求体应为 JSON 对象，含 sender（会话编号，1–128 个字符）和 message（消息文字）。")
        return sender

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def _extract_message(self, req: Request) -> Optional[Text]:
        text = (req.json or {}).get("message") if isinstance(req.json, dict) else None
        return text if isinstance(text, str) else ""  # not text: answered as an empty message

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(guarded(on_new_message))

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json or {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None


class LiveSocketIOOutput(SocketIOOutput, CollectingOutputChannel):
    """The socket.io output for events triggered through Rasa's HTTP API (``trigger_intent?output_channel=socketio``),
    which also reports what reached an open page.

    Rasa's own output emits into the conversation's room and cannot tell whether a page is in it. This one
    emits the same way and keeps each message that had a browser in the room to receive it; being a
    ``CollectingOutputChannel``, Rasa returns those as ``messages`` in the ``trigger_intent`` answer. No
    message there means the business's chat page was not open (``huiqi.rasa_events.say_into_chat``)."""

    DEFAULT_NAMESPACE = "/"  # where SocketIOOutput emits (it passes no namespace)

    def __init__(self, sio: Any, bot_message_evt: Text) -> None:
        SocketIOOutput.__init__(self, sio, bot_message_evt)
        self.messages: list = []

    @classmethod
    def name(cls) -> Text:
        return SocketIOOutput.name()

    def listeners(self, room: Text) -> int:
        return sum(1 for _ in self.sio.manager.get_participants(self.DEFAULT_NAMESPACE, room))

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        live = self.listeners(socket_id) > 0
        await SocketIOOutput._send_message(self, socket_id, response)
        if live:
            self.messages.append({"recipient_id": socket_id, **response})


class PersistentSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with session persistence that works on python-socketio >= 5.10, open
    only to browsers on the chat site (``HUIQI_CORS_ORIGINS``; clients that send no Origin still connect).

    Rasa 3.6 calls ``sio.enter_room(...)`` without ``await`` (RasaHQ/rasa#13027); on current
    python-socketio that is a coroutine, so the browser never joins the room named after its
    session id and receives no ``bot_uttered`` at all (nor pushes sent to the conversation).
    This re-registers the ``session_request`` handler with the await; the name stays ``socketio``.
    """

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[OutputChannel]:
        """The output for events triggered into a conversation: it reports which messages reached an open page."""
        return None if self.sio is None else LiveSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(guarded(on_new_message))
        sio = webhook.ctx.sio
        origins = site_origins(os.environ)
        if origins:  # Rasa creates the server with [] (no Origin check): only the chat site may connect
            sio.eio.cors_allowed_origins = origins

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = (data or {}).get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        sio.on("session_request", session_request, namespace=self.namespace)
        return webhook
