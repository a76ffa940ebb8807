"""External events into a live chat conversation through Rasa's HTTP API
(``POST /conversations/{sender_id}/trigger_intent?output_channel=socketio``), e.g. the official
handing a conversation back to the bot (``EXTERNAL_handback``)."""
from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from huiqi.settings import Settings, get_settings

log = logging.getLogger(__name__)
HANDBACK_INTENT = "EXTERNAL_handback"


def trigger_intent(sender_id: str, intent: str, entities: dict | None = None, *, settings: Settings | None = None,
                   timeout: float = 15.0) -> bool:
    """True when Rasa ran the intent in the conversation (and spoke into the open page)."""
    s = settings or get_settings()
    url = f"{s.rasa_url}/conversations/{quote(sender_id, safe='')}/trigger_intent"
    try:
        r = httpx.post(url, params={"output_channel": "socketio", "token": s.rasa_api_token()},
                       json={"name": intent, "entities": entities or {}}, timeout=timeout)
    except httpx.HTTPError as exc:
        log.warning("%s into conversation %s failed: %s", intent, sender_id, exc)
        return False
    if r.status_code >= 300:
        log.warning("%s into conversation %s: Rasa answered %s (%s)", intent, sender_id, r.status_code, r.text[:200])
        return False
    return True
