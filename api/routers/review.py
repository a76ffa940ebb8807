"""The review queue for admins: chat turns where the bot fell back, was unsure, or was corrected by the
user; the admin confirms or corrects the intent (ledger/review.py holds the rules, this is the adapter)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import admin_user, settings_dep
from huiqi.settings import Settings
from ledger import review
from ledger.actors import Actor

router = APIRouter(prefix="/review", tags=["review"])


class Decision(BaseModel):
    decision: Literal["confirm", "correct", "dismiss"] = Field(description="确认预测的意图 / 纠正为 intent / 忽略")
    intent: str | None = Field(default=None, description="纠正后的意图（decision 为 correct 时必填）")


@router.get("", summary="待复核的对话（已脱敏）：兜底回复、低置信度、用户纠正，附上下文与候选意图")
def review_queue(limit: int = Query(50, ge=1, le=500), actor: Actor = Depends(admin_user),
                 settings: Settings = Depends(settings_dep)):
    return review.queue(settings, limit=limit)


@router.get("/intents", summary="可选的意图")
def intents(actor: Actor = Depends(admin_user)):
    return sorted(review.known_intents())


@router.post("/{item_id}", summary="复核一条：确认、纠正（写入 bot/data/nlu/reviewed.yml，供下次训练）或忽略")
def decide(item_id: int, body: Decision, actor: Actor = Depends(admin_user), settings: Settings = Depends(settings_dep)):
    return review.decide(actor, item_id, body.decision, body.intent, settings=settings)
