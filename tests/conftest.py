"""Test-wide settings and the fixtures of the end-to-end tests.

The suite works with the demo data set, whose log-ins need demo mode. Tests marked ``services``
run against the three live services that ``make test`` starts (it sets HUIQI_SERVICES_UP); without
that variable they are skipped, with it a service that does not answer is a failure.
"""
import os

import httpx
import pytest

os.environ.setdefault("HUIQI_DEMO_MODE", "1")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("HUIQI_SERVICES_UP"):
        return
    skip = pytest.mark.skip(reason="needs the three running services: run `make test` (it starts them and sets HUIQI_SERVICES_UP)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def settings():
    """The settings the live services were started with (from the environment)."""
    from huiqi.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


def _live_client(base_url: str, timeout: float, what: str):
    client = httpx.Client(base_url=base_url, timeout=timeout)
    try:
        client.get("/healthz").raise_for_status()
    except httpx.HTTPError as exc:
        client.close()
        pytest.fail(f"HUIQI_SERVICES_UP is set but {what} at {base_url} does not answer: {exc!r}")
    return client


@pytest.fixture(scope="module")
def api(settings):
    client = _live_client(settings.api_url, 30, "the API")
    yield client
    client.close()


@pytest.fixture(scope="module")
def rasa(settings):
    client = _live_client(settings.rasa_url, 120, "Rasa")
    yield client
    client.close()
