"""Authenticate an HTTP request and build the context its use cases run with."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from auth.authenticate import authenticate
from auth.identity import AuthenticationError
from resolvers.context import RequestContext
from web.errors import authentication_error_response
from web.state import AppState

logger = logging.getLogger(__name__)

CREDENTIAL_REQUIRED = (
    "Authentication required: send a session token or access token in the Authorization "
    "header, or a service-user token in X-Amorphic-Service-User."
)


def client_address(request: Request) -> str | None:
    """Return the peer address of the connection (proxies are not trusted here)."""
    return request.client.host if request.client else None


async def authenticated_context(
    state: AppState,
    request: Request,
    db: AsyncSession,
    request_id: str,
    *,
    credential_required: bool = False,
) -> RequestContext:
    """Resolve the identity of the request's headers and return its context.

    Raises AuthenticationError for a rejected credential, and for a missing one when
    `credential_required` is set (REST calls have no anonymous operations).
    """
    identity = await authenticate(db, request.headers, state.service_user_tokens)
    if identity is None and credential_required:
        raise AuthenticationError(CREDENTIAL_REQUIRED)
    # Detached rows keep their values when a mutation rolls the session back.
    db.expunge_all()
    return RequestContext(
        session=db,
        identity=identity,
        settings=state.settings,
        request_id=request_id,
        client_ip=client_address(request),
        user_agent=request.headers.get("user-agent"),
        token_issuer=state.token_issuer,
    )


async def rejected_credential_response(
    db: AsyncSession, error: AuthenticationError, request: Request, request_id: str
) -> JSONResponse:
    """End the request's read transaction, log the rejection and return the 401/403 response."""
    await db.rollback()
    logger.info(
        "request=%s path=%s rejected status=%d reason=%s",
        request_id,
        request.url.path,
        error.status,
        error.code,
    )
    return authentication_error_response(error, request_id)
