"""The greeting: in Chinese, by name for a logged-in enterprise, with its pending policy pushes."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from ledger import pushes

from actions import context
from actions.policy import MENU_BUTTONS

NEW_PUSH_STATUSES = ("pushed", "delivered")


def pending_pushes(db, credit_code: str) -> list[dict]:
    return [p for p in pushes.list_pushes(db, credit_code) if p["status"] in NEW_PUSH_STATUSES]


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        with context.ledger() as db:
            ident = context.identify(tracker, db)
            waiting = pending_pushes(db, ident.credit_code) if ident else []
        if ident:
            text = f"您好，{ident.name}！我是交通运输局“惠企通”智能助手。"
            if waiting:
                text += f"您有{len(waiting)}条新的惠企政策，回复“看看推送”就能查看。"
            text += "我还可以帮您反映问题、查办理进度、评价办理结果。"
        else:
            text = "您的登录已过期，请在页面上重新登录企业账号。" if context.login_expired(tracker) else ""
            text += ("您好！我是交通运输局“惠企通”智能助手，可以帮您查惠企政策、反映问题、查办理进度、评价办理结果。"
                    "登录企业账号后，还能看到专门适合贵企业的政策。请问有什么可以帮您？")
        dispatcher.utter_message(text=text, buttons=MENU_BUTTONS)
        return context.identity_slots(ident)
