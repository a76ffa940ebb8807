"""External events into a live chat conversation through Rasa's HTTP API
(``POST /conversations/{sender_id}/trigger_intent?output_channel=socketio``): the official handing a
conversation back to the bot (``EXTERNAL_handback``), or writing into it from the console
(``EXTERNAL_staff_reply``)."""
from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from huiqi.settings import Settings, get_settings

log = logging.getLogger(__name__)
HANDBACK_INTENT = "EXTERNAL_handback"
STAFF_REPLY_INTENT = "EXTERNAL_staff_reply"  # entities: staff_reply (the text), staff_name


def _trigger(sender_id: str, intent: str, entities: dict | None, settings: Settings | None,
             timeout: float) -> dict | None:
    """Rasa's answer when it ran the intent in the conversation, None when it could not."""
    s = settings or get_settings()
    url = f"{s.rasa_url}/conversations/{quote(sender_id, safe='')}/trigger_intent"
    try:
        r = httpx.post(url, params={"output_channel": "socketio", "token": s.rasa_api_token()},
                       json={"name": intent, "entities": entities or {}}, timeout=timeout)
    except httpx.HTTPError as exc:
        log.warning("%s into conversation %s failed: %s", intent, sender_id, exc)
        return None
    if r.status_code >= 300:
        log.warning("%s into conversation %s: Rasa answered %s (%s)", intent, sender_id, r.status_code, r.text[:200])
        return None
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def trigger_intent(sender_id: str, intent: str, entities: dict | None = None, *, settings: Settings | None = None,
                   timeout: float = 15.0) -> bool:
    """True when Rasa ran the intent in the conversation."""
    return _trigger(sender_id, intent, entities, settings, timeout) is not None


def say_into_chat(sender_id: str, intent: str, entities: dict | None = None, *, settings: Settings | None = None,
                  timeout: float = 15.0) -> bool:
    """Run the intent in the conversation; True only when what the bot said reached an open chat page.

    The socket.io channel's output for triggered events (``bot.rasa_ext.channels.LiveSocketIOOutput``) keeps the
    messages that had a browser in the conversation's room, and Rasa returns them as ``messages``: none means
    the business's page was closed (or Rasa was not reachable)."""
    answer = _trigger(sender_id, intent, entities, settings, timeout)
    return bool(answer and answer.get("messages"))
