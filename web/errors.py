"""HTTP error responses for requests rejected outside GraphQL execution."""

from starlette.responses import JSONResponse

from auth.identity import AuthenticationError
from resolvers.errors import ErrorCode

# HTTP status of a REST response that fails with an expected error code.
HTTP_STATUS_BY_CODE = {
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_SUPPORTED_FOR_SERVICE_USER: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PRECONDITION_FAILED: 412,
    ErrorCode.RATE_LIMITED: 429,
}


def graphql_error_response(
    message: str, code: str, status: int, request_id: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Return a GraphQL-shaped error body with an HTTP status."""
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    all_headers = {"X-Request-Id": request_id, **(headers or {})}
    return JSONResponse(body, status_code=status, headers=all_headers)


def authentication_error_response(error: AuthenticationError, request_id: str) -> JSONResponse:
    """Return the 401 (or 403/400) response for a credential that was rejected."""
    headers = {}
    if error.status == 401:
        # Header values must be ASCII without double quotes (RFC 6750 error_description).
        description = error.message.replace('"', "'").encode("ascii", "replace").decode()
        headers["WWW-Authenticate"] = (
            'Bearer realm="service-users", error="invalid_token", '
            f'error_description="{description}"'
        )
    return graphql_error_response(error.message, error.code, error.status, request_id, headers)
