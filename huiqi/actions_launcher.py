"""Run the rasa-sdk action server with a ``GET /healthz`` route (arguments as ``python -m rasa_sdk``)."""
from __future__ import annotations

import rasa_sdk.endpoint
from sanic import response

_create_app = rasa_sdk.endpoint.create_app


def create_app_with_healthz(*args, **kwargs):
    app = _create_app(*args, **kwargs)

    @app.get("/healthz")
    async def healthz(_request):
        return response.json({"status": "ok", "service": "actions"})

    return app


rasa_sdk.endpoint.create_app = create_app_with_healthz

if __name__ == "__main__":
    from rasa_sdk.__main__ import main

    main()
