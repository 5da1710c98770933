"""Liveness and readiness endpoints."""

import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)


async def healthz(_request: Request) -> JSONResponse:
    """Return 200 while the process serves requests."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Return 200 when the database runs a query, else 503."""
    try:
        async with request.app.state.app_state.sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:  # any driver or network failure means not ready
        logger.warning("readiness check failed: %s", type(error).__name__)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "reachable"})
