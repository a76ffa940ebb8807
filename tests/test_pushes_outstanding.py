"""One rule for an outstanding push: the chat's list, the console's ``?outstanding=true`` and the funnel's
``outstanding`` count give the same answer on the same ledger."""
from __future__ import annotations

from actions.push_actions import ActionListPushes
from ledger import pushes as ledger_pushes
from ledger.actors import SYSTEM, Actor
from ledger.db import connect
from tests.test_actions_support import responses, run, slots_of, tracker
from tests.test_pushes_api import SHUNDA, _auth, api  # noqa: F401 (fixture)
from tests.test_pushes_engine import FREIGHT_MEASURE, template  # noqa: F401 (session fixture)

# Written out here on purpose, as an independent check of ledger.pushes.OUTSTANDING: a push is outstanding
# while the business or the department still has something to do with it.
STILL_TO_DO = {"pushed", "delivered", "viewed", "applied", "to_confirm"}
# The path each push takes from "pushed" to the status it ends in.
PATHS = {"pushed": [], "delivered": ["delivered"], "viewed": ["viewed"], "applied": ["applied"],
         "to_confirm": ["to_confirm"], "redeemed": ["applied", "redeemed"], "declined": ["declined"],
         "not_eligible": ["not_eligible"], "withdrawn": ["withdrawn"]}


def test_chat_console_and_funnel_agree_on_outstanding_pushes(api):  # noqa: F811
    client, settings = api
    admin = _auth(settings, "admin", "admin")
    # One measure per status, each fitting only 兰州顺达 (the one medium-sized freight company of the demo).
    by_status: dict[str, str] = {}
    for status in PATHS:
        r = client.post("/api/v1/policies", headers=admin, json={
            **FREIGHT_MEASURE, "title": f"{FREIGHT_MEASURE['title']}（{status}）",
            "conditions": {"industries": ["道路货运"], "sizes": ["中"]}})
        assert r.status_code == 201, r.text
        by_status[status] = r.json()["id"]
    db = connect(settings=settings)
    try:
        pushes = {p["measure_id"]: p for p in ledger_pushes.list_pushes(db, SHUNDA)}
        assert set(by_status.values()) <= set(pushes)
        for status, steps in PATHS.items():
            for step in steps:
                ledger_pushes.set_push_status(db, pushes[by_status[status]]["id"], step,
                                              actor=SYSTEM if step == "withdrawn" else Actor.enterprise(SHUNDA))
        token = _auth(settings, SHUNDA, "enterprise")["Authorization"].split()[1]
    finally:
        db.close()
    expected = {by_status[s] for s in STILL_TO_DO}

    # The console: the cadre's list of outstanding pushes of this enterprise.
    cadre = _auth(settings, "zhangwei", "cadre")
    r = client.get("/api/v1/pushes", params={"outstanding": "true", "credit_code": SHUNDA}, headers=cadre)
    assert r.status_code == 200
    console = {i["measure_id"] for i in r.json()["items"]} & set(by_status.values())
    assert r.json()["enterprises"][0]["outstanding"] == len(r.json()["items"])

    # The funnel: each measure reaches only this enterprise, so its outstanding count is 1 or 0.
    funnel = set()
    for measure_id in by_status.values():
        r = client.get(f"/api/v1/policies/{measure_id}/funnel", headers=admin)
        assert r.status_code == 200 and r.json()["outstanding"] in (0, 1)
        if r.json()["outstanding"]:
            funnel.add(measure_id)

    # The chat: the business asks for its pushes.
    msgs, events = run(ActionListPushes(), tracker("看看给我们推送的政策", "list_pushes", token=token))
    assert responses(msgs)[0] == "utter_pushes_list"
    chat = set(slots_of(events)["policy_results"]) & set(by_status.values())

    assert console == funnel == chat == expected
