"""ASGI middleware that rejects request bodies above a size limit."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import graphql_error_response
from web.request_id import request_id_from


class BodyTooLarge(Exception):
    """Raised inside `receive` when a streamed body passes the limit."""


class BodyLimitMiddleware:
    """Reject with 413 a request whose Content-Length or actual body exceeds `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # HTTP header bytes are latin-1 by definition; strict UTF-8 would fail on bytes >= 0x80.
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        request_id = request_id_from(headers)
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send, request_id)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._reject(scope, receive, send, request_id)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        response = graphql_error_response(
            f"The request body is larger than {self.max_bytes} bytes; send a smaller request.",
            "PAYLOAD_TOO_LARGE",
            413,
            request_id,
        )
        await response(scope, receive, send)
