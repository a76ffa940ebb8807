"""Run the Rasa CLI with a ``GET /healthz`` route added to the Rasa server.

Runs inside ``.venv-rasa`` (Python 3.10): it must import nothing from this repo that needs
the main virtualenv. Usage is exactly ``rasa``'s: ``python -m huiqi.rasa_launcher run ...``.
``/healthz`` answers 200 once the model is loaded and 503 before.
"""
from __future__ import annotations

import sys

import rasa.server
from sanic import response

_create_app = rasa.server.create_app


def create_app_with_healthz(*args, **kwargs):
    app = _create_app(*args, **kwargs)

    @app.get("/healthz")
    async def healthz(request):
        agent = getattr(request.app.ctx, "agent", None)
        ready = bool(agent and agent.is_ready())
        return response.json({"status": "ok" if ready else "loading", "service": "rasa"}, status=200 if ready else 503)

    return app


rasa.server.create_app = create_app_with_healthz

if __name__ == "__main__":
    from rasa.__main__ import main

    sys.argv[0] = "rasa"
    main()
