"""REST `POST /users/{user_id}/auth-token`: assume a service user and receive its token.

The body names the role and lifetime with the platform's field names (`RoleId`,
`ExpiresInMinutes`, `Reason`); camelCase names are accepted too. Errors use the shape of
GraphQL errors (`errors[].message`, `errors[].extensions.code`), as on /graphql.
"""

import json
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from auth.identity import AuthenticationError
from resolvers import assumption
from resolvers.errors import ErrorCode, UserError
from resolvers.mutation import run_mutation
from web.errors import HTTP_STATUS_BY_CODE
from web.request_context import authenticated_context, rejected_credential_response
from web.request_id import request_id_from
from web.state import AppState

logger = logging.getLogger(__name__)

# Input fields of the use case, by the name this endpoint uses for them.
REST_FIELD_NAMES = {
    "serviceUserId": "UserId",
    "roleId": "RoleId",
    "expiresInMinutes": "ExpiresInMinutes",
    "reason": "Reason",
}
# A token response must not be stored by caches (RFC 6749, section 5.1).
NO_STORE = {"Cache-Control": "no-store"}


class InvalidBody(Exception):
    """A request body this endpoint cannot read."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.error = UserError(ErrorCode.BAD_USER_INPUT, message, [field] if field else None)


def error_response(errors: list[UserError], request_id: str) -> JSONResponse:
    """Return expected failures with the HTTP status of the first one."""
    body = {
        "data": None,
        "errors": [
            {
                "message": error.message,
                "extensions": {
                    "code": error.code.value,
                    "field": [REST_FIELD_NAMES.get(name, name) for name in error.field]
                    if error.field
                    else None,
                },
            }
            for error in errors
        ],
    }
    status = HTTP_STATUS_BY_CODE.get(errors[0].code, 400)
    return JSONResponse(body, status_code=status, headers={"X-Request-Id": request_id})


def _member(body: dict[str, Any], name: str) -> Any:
    """Return a body member by its platform name or its camelCase name, which must agree."""
    camel = name[0].lower() + name[1:]
    values = [body[key] for key in (name, camel) if key in body]
    if len(values) == 2 and values[0] != values[1]:
        raise InvalidBody(f"The body sends both {name} and {camel} with different values.", name)
    return values[0] if values else None


async def _read_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise InvalidBody('Send a JSON object such as {"RoleId": "...", "ExpiresInMinutes": 60}.')
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidBody("The request body is not valid JSON; send a JSON object.") from None
    if not isinstance(body, dict):
        raise InvalidBody("The request body must be a JSON object.")
    return body


def _parse_input(body: dict[str, Any]) -> tuple[str, int | None, str | None]:
    role_id = _member(body, "RoleId")
    if not isinstance(role_id, str) or not role_id.strip():
        raise InvalidBody(
            "RoleId is required: the id of a role attached to the service user.", "RoleId"
        )
    minutes = _member(body, "ExpiresInMinutes")
    # bool is a subclass of int in Python, but `true` is not a number of minutes.
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)):
        raise InvalidBody(
            f"ExpiresInMinutes must be a whole number of minutes from 1 to 180, not {minutes!r}.",
            "ExpiresInMinutes",
        )
    reason = _member(body, "Reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidBody("Reason must be a string.", "Reason")
    return role_id.strip(), minutes, reason


async def create_auth_token(request: Request) -> JSONResponse:
    """Assume the service user named in the path and return a token for it."""
    started = time.perf_counter()
    state: AppState = request.app.state.app_state
    request_id = request_id_from(request.headers)
    service_user_id = request.path_params["user_id"]
    outcome = "ok"
    async with state.sessions() as db:
        try:
            ctx = await authenticated_context(
                state, request, db, request_id, credential_required=True
            )
        except AuthenticationError as error:
            return await rejected_credential_response(db, error, request, request_id)
        identity = ctx.identity
        try:
            role_id, minutes, reason = _parse_input(await _read_body(request))
        except InvalidBody as invalid:
            response = error_response([invalid.error], request_id)
            outcome = "invalid-body"
        else:
            result, errors = await run_mutation(
                ctx,
                "assumeServiceUser",
                lambda note: assumption.assume_service_user(
                    ctx,
                    note,
                    service_user_id=service_user_id,
                    role_id=role_id,
                    expires_in_minutes=minutes,
                    reason=reason,
                ),
            )
            if errors:
                response = error_response(errors, request_id)
                outcome = errors[0].code.value
            else:
                body = {
                    "Token": result.token,
                    "TokenId": result.record.id,
                    "ExpiresAt": result.record.expires_at.isoformat(),
                    "UserId": result.service_user.id,
                    "RoleId": result.role.id,
                }
                response = JSONResponse(body, headers={"X-Request-Id": request_id, **NO_STORE})
    logger.info(
        "request=%s operation=POST /users/{id}/auth-token user=%s role=%s duration_ms=%.1f "
        "outcome=%s",
        request_id,
        identity.user.id,
        identity.role.id,
        (time.perf_counter() - started) * 1000,
        outcome,
    )
    return response
