"""The review queue for admins: chat turns where the bot fell back, was unsure, or was corrected by the
user; the admin confirms or corrects the intent (ledger/review.py holds the rules, this is the adapter)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import AdminUser, SettingsDep
from api.schemas import AUTH_ERRORS, ReviewDecisionOut, ReviewItemOut, errors
from api.validators import NAME_MAX, Body, IdPath
from ledger import review

router = APIRouter(prefix="/review", tags=["review"], responses=AUTH_ERRORS)


class Decision(Body):
    decision: Literal["confirm", "correct", "dismiss"] = Field(description="确认预测的意图 / 纠正为 intent / 忽略")
    intent: str | None = Field(default=None, max_length=NAME_MAX, description="纠正后的意图（decision 为 correct 时必填）")


@router.get("", summary="待复核的对话（已脱敏）：兜底回复、低置信度、用户纠正，附上下文与候选意图",
            response_model=list[ReviewItemOut])
def review_queue(actor: AdminUser, settings: SettingsDep,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 decided: Annotated[bool, Query(description="也列出已复核的（附复核结果：谁、何时、意图）")] = False,
                 ) -> list[dict]:
    return review.queue(settings, limit=limit, include_decided=decided)


@router.get("/intents", summary="可选的意图", response_model=list[str])
def intents(actor: AdminUser) -> list[str]:
    return sorted(review.known_intents())


@router.post("/{item_id:int}", summary="复核一条：确认、纠正（写入 bot/data/nlu/reviewed.yml，供下次训练）或忽略",
             response_model=ReviewDecisionOut, responses=errors(404, 409))
def decide(item_id: IdPath, body: Decision, actor: AdminUser, settings: SettingsDep) -> dict:
    return review.decide(actor, item_id, body.decision, body.intent, settings=settings)
