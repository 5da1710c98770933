"""ASGI middleware that rejects requests carrying text no column can store.

PostgreSQL rejects NUL in text and UTF-8 cannot encode a lone surrogate. Such a value in any
id, name or filter would otherwise fail inside the database driver as an internal error, so it
is answered up front with 400 and BAD_USER_INPUT, whatever the field.
"""

import json
import re
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import graphql_error_response
from web.request_id import request_id_from

# GraphQL string escapes for NUL and for UTF-16 surrogates, as written inside a document.
_DOCUMENT_ESCAPES = re.compile(r"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})|\\u\{0+\}")


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _contains_unstorable(value) -> bool:
    if isinstance(value, str):
        return _unstorable(value) or bool(_DOCUMENT_ESCAPES.search(value))
    if isinstance(value, dict):
        return any(_contains_unstorable(k) or _contains_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_unstorable(item) for item in value)
    return False


class UnstorableTextMiddleware:
    """Answer 400 for a JSON body, path or query string containing NUL or a lone surrogate."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = scope.get("path", "") + unquote(scope.get("query_string", b"").decode("latin-1"))
        if _unstorable(target):
            await self._reject(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if b"json" not in headers.get(b"content-type", b""):
            await self.app(scope, receive, send)
            return

        # The body is already capped by BodyLimitMiddleware, so buffering it is bounded.
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            parsed = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            parsed = None  # the endpoint reports malformed JSON itself
        if parsed is not None and _contains_unstorable(parsed):
            await self._reject(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        response = graphql_error_response(
            "The request contains a NUL character or an unpaired UTF-16 surrogate, which no "
            "field accepts; remove it and send the request again.",
            "BAD_USER_INPUT",
            400,
            request_id_from(headers),
        )
        await response(scope, receive, send)
