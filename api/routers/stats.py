"""Statistics for admins."""
from __future__ import annotations

from fastapi import APIRouter

from api.deps import AdminUser, DbDep
from api.schemas import AUTH_ERRORS, StatsOut
from ledger.stats import statistics

router = APIRouter(prefix="/stats", tags=["stats"], responses=AUTH_ERRORS)


@router.get("", summary="诉求统计：按状态/类别/科室，超期率，平均办理天数，满意率", response_model=StatsOut)
def stats(actor: AdminUser, db: DbDep):
    return statistics(db)
