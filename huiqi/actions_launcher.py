"""Run the rasa-sdk action server as one process, on 127.0.0.1 by default, behind a token.

``python -m huiqi.actions_launcher`` (no arguments: everything comes from the settings).

rasa-sdk's own runner (``python -m rasa_sdk``) binds 0.0.0.0 and starts Sanic's manager process
with a worker child: a supervisor holding the manager's PID could not free the port when the
manager was killed (the worker kept it). Here the Sanic app runs in a single process, bound to
``HUIQI_ACTION_HOST`` (default 127.0.0.1), and every request to ``/webhook`` and ``/actions``
must carry ``?token=`` equal to the settings' action token, which Rasa sends from
``bot/endpoints.yml`` (``HUIQI_ACTION_TOKEN``, set by ``huiqi.botmodel.rasa_env``). ``GET /healthz``
and ``GET /health`` stay open (they tell nothing).
"""
from __future__ import annotations

import hmac
import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response

from huiqi.settings import Settings, get_settings

OPEN_PATHS = frozenset({"/healthz", "/health"})
ACTIONS_PACKAGE = "actions"


def build_app(settings: Settings) -> Sanic:
    executor = ActionExecutor()
    executor.register_package(ACTIONS_PACKAGE)
    app = create_app(executor, cors_origins=None)
    token = settings.action_token()

    @app.on_request
    async def require_token(request):
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "action server token missing or wrong", "code": "UNAUTHORIZED"},
                                 status=401)
        return None

    @app.get("/healthz")
    async def healthz(_request):
        return response.json({"status": "ok", "service": "actions"})

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    app = build_app(settings)
    app.run(host=settings.action_host, port=settings.action_port, single_process=True, access_log=False,
            motd=False)


if __name__ == "__main__":
    main()
