"""Live delivery of a push into an open chat conversation through Rasa's HTTP API.

Rasa external events: ``POST {rasa_url}/conversations/{sender_id}/trigger_intent?output_channel=socketio``
with ``{"name": "EXTERNAL_policy_push", "entities": {"measure_id": ..., "push_id": ...}}``. The
bot's rule runs ``action_deliver_push``, which utters the measure into the conversation (the
socket.io room of that sender) and marks the push delivered in the ledger.

A failed delivery loses nothing: the push stays pending in the ledger, the assistant mentions it at
the next greeting, and the failure is logged here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

PUSH_INTENT = "EXTERNAL_policy_push"
OUTPUT_CHANNEL = "socketio"


@dataclass
class DeliveryResult:
    push_id: int
    sender_id: str
    ok: bool
    detail: str = ""


class RasaDelivery:
    """Triggers ``EXTERNAL_policy_push`` in a conversation on the Rasa server at ``rasa_url``."""

    def __init__(self, rasa_url: str, token: str, timeout: float = 15.0, output_channel: str = OUTPUT_CHANNEL):
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.output_channel = output_channel

    def url_for(self, sender_id: str) -> str:
        return f"{self.rasa_url}/conversations/{quote(sender_id, safe='')}/trigger_intent"

    def params(self) -> dict:
        """The output channel (so Rasa speaks into the open page) and the HTTP API token."""
        return {"output_channel": self.output_channel, "token": self.token}

    def deliver(self, sender_id: str, push: dict) -> DeliveryResult:
        body = {"name": PUSH_INTENT, "entities": {"measure_id": push["measure_id"], "push_id": str(push["id"])}}
        try:
            r = httpx.post(self.url_for(sender_id), params=self.params(), json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            log.warning("push %s: delivery to conversation %s failed (%s); it stays pending", push["id"], sender_id, exc)
            return DeliveryResult(push["id"], sender_id, False, f"{type(exc).__name__}: {exc}")
        if r.status_code >= 300:
            log.warning("push %s: Rasa answered %s for conversation %s (%s); it stays pending",
                        push["id"], r.status_code, sender_id, r.text[:200])
            return DeliveryResult(push["id"], sender_id, False, f"HTTP {r.status_code}")
        return DeliveryResult(push["id"], sender_id, True, "")
