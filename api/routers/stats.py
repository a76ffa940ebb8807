"""Statistics for admins."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import admin_user, get_db
from ledger.actors import Actor
from ledger.stats import statistics

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("", summary="诉求统计：按状态/类别/科室，超期率，平均办理天数，满意率")
def stats(actor: Actor = Depends(admin_user), db=Depends(get_db)):
    return statistics(db)
