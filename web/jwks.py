"""The JWK Set endpoint: public keys that verify service-user tokens."""

from starlette.requests import Request
from starlette.responses import JSONResponse

# Short, because a rotated key signs new tokens at once and verifiers must see it soon. PyJWT's
# PyJWKClient also fetches the set again when it meets an unknown kid.
CACHE_SECONDS = 60


async def jwks_endpoint(request: Request) -> JSONResponse:
    """Return every public key that a still-valid token may have been signed with."""
    keys = request.app.state.app_state.signing_keys
    document = keys.jwks() if keys is not None else {"keys": []}
    return JSONResponse(
        document,
        headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"},
    )
