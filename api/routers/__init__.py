"""Every router of the API, registered in one place (``api.app`` includes them in this order).

``API_ROUTERS`` get the ``/api/v1`` prefix; ``SITE_ROUTERS`` carry their own paths (pages, and the
policies router whose paths are absolute).
"""
from __future__ import annotations

from api.routers import auth, chat, console, enterprises, pairings, policies, problems, pushes, review, staff, stats, workbench

API_PREFIX = "/api/v1"

API_ROUTERS = (auth.router, enterprises.router, problems.router, staff.router, pairings.router, stats.router,
               pushes.router, pushes.funnel_router, workbench.router,
               review.router)
SITE_ROUTERS = (chat.router, policies.router, console.router)
