"""Run the Rasa CLI with a ``GET /healthz`` route, the API token taken from the environment, and
an honest answer when the action server fails.

Runs inside ``.venv-rasa`` (Python 3.10): it must import nothing from this repo that needs
the main virtualenv. Usage is ``rasa``'s: ``python -m huiqi.rasa_launcher run ...``.

- ``/healthz`` answers 200 once the model is loaded and 503 before; request bodies over 1 MB are refused.
- With ``HUIQI_RASA_SERVING_LOCK`` set (by the supervisor), the process loads its model first and
  binds the port only once it holds the serving lock: the second Rasa process waits, loaded, as a
  hot standby (``huiqi.rasa_standby``).
- ``HUIQI_RASA_AUTH_TOKEN`` (set by the supervisor) becomes ``--auth-token`` inside the process, so the
  token never appears on a command line (``ps`` shows the command line to every user).
- When a custom action (or a form's validation) cannot be run because the action server is down,
  stalled or answers with an error, Rasa 3.6 logs it and carries on as if the action had returned
  nothing: the user got an empty reply, and the turn (a 确认 included) was recorded as done. Here
  the turn is undone instead: every slot and the active form are set back to what they were before
  the message (``restore_events``; Rasa's ``UserUtteranceReverted`` cannot be used, because inside a
  form it rewinds past the form's earlier turns), and the user gets the named response
  ``utter_service_unavailable``, which asks them to send the same message again shortly. Filing
  is idempotent (``actions/complaint.py``), so a 确认 sent again never files a second ticket.

The NLU pipeline of a message (tokenizer, featurizers, the ONNX encoder, the intent classifier, the
TensorFlow response selector) runs in one worker thread instead of on the event loop: the encoder and
TensorFlow release the GIL, so the loop goes on with the other conversations' dialogue, tracker and
action-server work meanwhile (on two cores, under 30 concurrent conversations, NLU was about a third of
each turn, the ONNX encoder alone about 13 ms). One thread: messages are parsed one at a time, as on the loop.

Per-turn costs of Rasa 3.6 cut at their cause (profiled with py-spy under 30 concurrent
conversations, README "Chat latency"):

- every custom action's answer was checked with ``jsonschema.validate``, which first checks the
  response schema itself against the JSON-schema meta-schema and builds a new validator: about
  60 ms per action call, a quarter of Rasa's CPU under load. The answer is still checked against
  the same schema, by one validator built (and its schema checked) once: about 5 ms.
- every call to the action server opened a new aiohttp session and TCP connection (and closed them):
  about a tenth of Rasa's event-loop time under load. An endpoint now keeps one session per event
  loop, whose connections are kept alive for ``KEEPALIVE_SECONDS``, less than the action server's
  own keep-alive (Sanic's 5 s), so Rasa never sends on a connection the server is closing. The
  request body (the whole tracker, on every call) is written by ujson (a Rasa dependency), in half
  the time of the standard library's encoder.
- every event read from the tracker store looked its class up by walking all ``Event`` subclasses
  (``Event.resolve_by_type``); the classes are now found in a table built once (rebuilt when a
  type is not in it, so classes imported later are still found).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
import os
import sys
from typing import Any, Dict, List, Optional, Text

import aiohttp
import rasa.core.run
import rasa.server
import ujson
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from sanic import response

from huiqi.rasa_standby import ServingLock

TOKEN_ENV = "HUIQI_RASA_AUTH_TOKEN"
MAX_REQUEST_BYTES = 1_000_000  # Sanic's default is 100 MB; a chat message is capped at 2,000 characters anyway
UNAVAILABLE_RESPONSE = "utter_service_unavailable"

log = logging.getLogger("huiqi.rasa_launcher")
_failed_actions: contextvars.ContextVar[Optional[List[Text]]] = contextvars.ContextVar("huiqi_failed_actions",
                                                                                      default=None)

_create_app = rasa.server.create_app
_serving_lock: Optional[ServingLock] = ServingLock.from_environ(dict(os.environ))


def create_app_with_healthz(*args, **kwargs):
    app = _create_app(*args, **kwargs)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    @app.get("/healthz")
    async def healthz(request):
        agent = getattr(request.app.ctx, "agent", None)
        ready = bool(agent and agent.is_ready())
        return response.json({"status": "ok" if ready else "loading", "service": "rasa"}, status=200 if ready else 503)

    if _serving_lock is not None:
        app.register_listener(lambda _app, _loop: _serving_lock.announce(), "after_server_start")
    return app


def listen_address(argv: List[Text]) -> tuple:
    """The interface and port ``rasa run`` is told to bind (Rasa's defaults when not given)."""
    def option(name: Text, default: Text) -> Text:
        return argv[argv.index(name) + 1] if name in argv[:-1] else default

    return option("--interface", "0.0.0.0"), int(option("--port", "5005"))


_load_agent_on_start = rasa.core.run.load_agent_on_start


async def load_agent_then_take_the_port(*args: Any, **kwargs: Any):
    """Rasa's start-up model load; then, as a standby, wait for the serving lock before the port is bound."""
    agent = await _load_agent_on_start(*args, **kwargs)
    if _serving_lock is not None:
        log.info("model loaded; waiting for the serving lock %s (hot standby)", _serving_lock.lock_path)
        await _serving_lock.acquire(*listen_address(sys.argv))
        log.info("serving lock taken: binding the port")
    return agent


_remote_run = RemoteAction.run


async def run_remote_action(self: RemoteAction, *args: Any, **kwargs: Any):
    """Rasa's RemoteAction.run, noting in the current turn that the action server failed."""
    try:
        return await _remote_run(self, *args, **kwargs)
    except ActionExecutionRejection:  # a form declining a slot: normal dialogue, not a failure
        raise
    except Exception:
        failed = _failed_actions.get()
        if failed is not None:
            failed.append(self.name())
        raise


def restore_events(tracker: DialogueStateTracker, domain: Domain) -> List[Event]:
    """Events that set every slot and the active loop back to their state before the latest user message."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=None)
    if last_user is None:
        return []
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:last_user], domain.slots)
    fixes: List[Event] = [SlotSet(name, before.slots[name].value) for name, slot in tracker.slots.items()
                          if name in before.slots and slot.value != before.slots[name].value]
    if tracker.active_loop_name != before.active_loop_name:
        fixes.append(ActiveLoop(before.active_loop_name))
    return fixes


_handle_message = MessageProcessor.handle_message


async def handle_message(self: MessageProcessor, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    """Rasa's handle_message; a turn in which a custom action failed is undone and the user told so."""
    failed: List[Text] = []
    token = _failed_actions.set(failed)
    try:
        result = await _handle_message(self, message)
    finally:
        _failed_actions.reset(token)
    if not failed:
        return result
    log.error("action server failed during the turn of %s (%s): turn undone, user asked to resend",
              message.sender_id, ", ".join(failed))
    tracker = await self.get_tracker(message.sender_id)
    for event in restore_events(tracker, self.domain):
        tracker.update(event)
    channel = message.output_channel
    reply = await self.nlg.generate(UNAVAILABLE_RESPONSE, tracker, channel.name())
    if reply and reply.get("text"):
        tracker.update(BotUttered(reply["text"], metadata={"utter_action": UNAVAILABLE_RESPONSE}))
        await channel.send_text_message(message.sender_id, reply["text"])
    await self.save_tracker(tracker)
    return channel.messages if isinstance(channel, CollectingOutputChannel) else result


class ActionResponseValidator:
    """Rasa's schema of an action server's answer, checked once and applied without its costly ``oneOf``.

    Each event's schema in Rasa's ``oneOf`` pins ``event`` to one constant, so exactly one branch can match
    an event: the one named by its ``event``. Checking that branch alone (and refusing a type with no
    branch) accepts and refuses the same answers as the ``oneOf``, which tries all 20-odd branches for
    every event (about 2 ms of the event loop per action call, 2-3 calls a turn)."""

    def __init__(self) -> None:
        import copy

        import jsonschema

        schema = RemoteAction.action_response_format_spec()
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        outline = copy.deepcopy(schema)
        branches = outline["properties"]["events"]["items"].pop("oneOf")
        self.outline = validator_class(outline)
        self.branches = {b["properties"]["event"]["const"]: validator_class(b) for b in branches}

    def validate(self, result: Any) -> None:
        from jsonschema import ValidationError

        self.outline.validate(result)
        for event in result.get("events") or []:
            branch = self.branches.get(event["event"])
            if branch is None:
                raise ValidationError(f"{event!r} is not valid under any of the given schemas")
            branch.validate(event)


@functools.lru_cache(maxsize=None)
def action_response_validator() -> ActionResponseValidator:
    """One validator of the action server's answers, its schema checked once (not on every call)."""
    return ActionResponseValidator()


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's RemoteAction._validate_action_result, with the validator built once."""
    from jsonschema import ValidationError

    try:
        action_response_validator().validate(result)
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response from the "
                      "Action endpoint is valid.")
        raise e
    return True


_nlu_thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="huiqi-nlu")
_parse_message = MessageProcessor.parse_message


async def parse_message(self: MessageProcessor, message: UserMessage,
                        tracker: Optional[DialogueStateTracker] = None,
                        only_output_properties: bool = True) -> Dict[Text, Any]:
    """Rasa 3.6's MessageProcessor.parse_message, the NLU graph run in the NLU thread."""
    if self.http_interpreter:
        return await _parse_message(self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    parse_data = await asyncio.get_running_loop().run_in_executor(
        _nlu_thread, self._parse_message_with_graph, message, tracker, only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


KEEPALIVE_SECONDS = 2.0
_kept_sessions: Dict[tuple, tuple] = {}


class KeptSession:
    """What ``async with endpoint.session()`` enters: the endpoint's kept session, not closed on exit."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_exc: Any) -> None:
        return None


def kept_alive_session(self: EndpointConfig) -> KeptSession:
    """Rasa's EndpointConfig.session (same headers, auth and timeout), made once per endpoint and event loop."""
    key = (id(self), id(asyncio.get_running_loop()))
    _config, session = _kept_sessions.get(key, (None, None))
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(headers=self.headers, auth=auth,
                                        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
                                        json_serialize=ujson.dumps)
        _kept_sessions[key] = (self, session)  # the config is held so that its id is not reused
    return KeptSession(session)


_event_classes: Dict[Text, type] = {}
_resolve_by_type = Event.resolve_by_type


def resolve_event_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
    """Rasa's Event.resolve_by_type from a table of the event classes instead of a walk per event."""
    cls = _event_classes.get(type_name)
    if cls is None:
        _event_classes.update({c.type_name: c for c in reversed(all_subclasses(Event))})  # first match wins
        cls = _event_classes.get(type_name)
    return cls if cls is not None else _resolve_by_type(type_name, default)


rasa.server.create_app = create_app_with_healthz
rasa.core.run.load_agent_on_start = load_agent_then_take_the_port
RemoteAction.run = run_remote_action
RemoteAction._validate_action_result = validate_action_result
MessageProcessor.handle_message = handle_message
MessageProcessor.parse_message = parse_message
EndpointConfig.session = kept_alive_session
Event.resolve_by_type = staticmethod(resolve_event_type)


def argv_with_token(argv: List[Text], environ: Dict[Text, Text]) -> List[Text]:
    """Add ``--auth-token`` from the environment (inside this process only)."""
    token = environ.get(TOKEN_ENV)
    if token and "--auth-token" not in argv:
        return [*argv, "--auth-token", token]
    return argv


if __name__ == "__main__":
    from rasa.__main__ import main

    sys.argv = argv_with_token(["rasa", *sys.argv[1:]], dict(os.environ))
    main()
