"""REST endpoints for users with the platform's field names.

`GET /users` lists every user, `GET /users?action=get_service_users` only service users, and
`GET /users/{id}` returns one user. Requests authenticate exactly like /graphql, but a missing
credential is a 401 here because no REST call is open to anonymous callers.
"""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.identity import AuthenticationError
from db.tables import Role, User
from resolvers import users
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, UseCaseError, fail
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, encode_cursor
from web.errors import (
    HTTP_STATUS_BY_CODE,
    authentication_error_response,
    graphql_error_response,
)
from web.request_context import authenticated_context, rejected_credential_response
from web.request_id import request_id_from
from web.state import AppState

logger = logging.getLogger(__name__)

SERVICE_USERS_ACTION = "get_service_users"
ACCEPTED_ACTIONS = (SERVICE_USERS_ACTION,)

Handler = Callable[[RequestContext, Request], Awaitable[dict[str, Any]]]


def _role_body(role: Role) -> dict[str, Any]:
    return {"RoleId": role.id, "RoleName": role.name}


def user_body(user: User, roles: list[Role]) -> dict[str, Any]:
    """Return a user with the platform's field names; `roles` are the roles attached to it."""
    default_role = next((r for r in roles if r.id == user.default_role_id), None)
    return {
        "UserId": user.id,
        "UserName": user.username,
        "Email": user.email,
        "DisplayName": user.display_name,
        "Description": user.description,
        "IsServiceUser": user.is_service_user,
        "Enabled": user.enabled,
        "CreatedAt": user.created_at.isoformat(),
        "DefaultRole": _role_body(default_role) if default_role else None,
        "Roles": [_role_body(r) for r in roles],
    }


def _page_size(request: Request) -> int:
    raw = request.query_params.get("first")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    # ASCII digits only: str.isdigit() also accepts characters such as '²' that int() rejects.
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Query parameter `first` is '{raw[:20]}'; send a whole number from 1 to "
            f"{MAX_PAGE_SIZE}.",
            "first",
        )
    return int(raw)


def _user_filter(request: Request) -> users.UserFilter:
    action = request.query_params.get("action")
    if action is None:
        return users.UserFilter()
    if action == SERVICE_USERS_ACTION:
        return users.UserFilter(is_service_user=True)
    accepted = ", ".join(f"'{a}'" for a in ACCEPTED_ACTIONS)
    raise fail(
        ErrorCode.BAD_USER_INPUT,
        f"Unknown action '{action[:40]}'; the accepted value is {accepted}, or leave `action` "
        "out to list every user.",
        "action",
    )


async def _list_users(ctx: RequestContext, request: Request) -> dict[str, Any]:
    user_filter = _user_filter(request)
    page, total = await users.list_users(
        ctx, user_filter, _page_size(request), request.query_params.get("after")
    )
    roles = await ctx.loaders.roles_by_user.load_many([u.id for u in page.rows])
    return {
        "Users": [user_body(u, r) for u, r in zip(page.rows, roles, strict=True)],
        "TotalCount": total,
        "HasNextPage": page.has_next,
        "EndCursor": encode_cursor(page.positions[-1]) if page.positions else None,
    }


async def _get_user(ctx: RequestContext, request: Request) -> dict[str, Any]:
    user = await users.find_user(ctx, request.path_params["user_id"])
    return user_body(user, await ctx.loaders.roles_by_user.load(user.id))


def _error_response(error: UseCaseError, request_id: str) -> JSONResponse:
    first = error.errors[0]
    if first.code == ErrorCode.UNAUTHENTICATED:
        return authentication_error_response(AuthenticationError(first.message), request_id)
    status = HTTP_STATUS_BY_CODE.get(first.code, 400)
    return graphql_error_response(first.message, first.code.value, status, request_id)


async def _serve(request: Request, handler: Handler) -> Response:
    state: AppState = request.app.state.app_state
    request_id = request_id_from(request.headers)
    async with state.sessions() as db:
        try:
            context = await authenticated_context(
                state, request, db, request_id, credential_required=True
            )
        except AuthenticationError as error:
            return await rejected_credential_response(db, error, request, request_id)
        identity = context.identity
        try:
            body = await handler(context, request)
        except UseCaseError as error:
            response = _error_response(error, request_id)
            logger.info(
                "request=%s path=%s user=%s status=%d",
                request_id,
                request.url.path,
                identity.user.id if identity else None,
                response.status_code,
            )
            return response
    logger.info(
        "request=%s path=%s user=%s status=200", request_id, request.url.path, identity.user.id
    )
    return JSONResponse(body, headers={"X-Request-Id": request_id})


async def list_users_endpoint(request: Request) -> Response:
    """Serve `GET /users`, or only service users with `action=get_service_users`."""
    return await _serve(request, _list_users)


async def get_user_endpoint(request: Request) -> Response:
    """Serve `GET /users/{id}`."""
    return await _serve(request, _get_user)


ROUTES = [
    Route("/users", list_users_endpoint, methods=["GET"]),
    Route("/users/{user_id}", get_user_endpoint, methods=["GET"]),
]
