"""ASGI middleware that rejects request input the endpoints cannot handle safely.

Every endpoint that takes a body takes one JSON object. A body that is not UTF-8 JSON, is
nested absurdly deep, or carries text no column can store would otherwise fail deep inside
Strawberry or the database driver as an internal error. PostgreSQL rejects NUL in text and
UTF-8 cannot encode a lone surrogate, so such values are refused here, whatever the field.
"""

import json
import re
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import graphql_error_response
from web.request_id import request_id_from

# Deeper JSON has no use in this API and would exhaust the recursion of later parsers.
MAX_JSON_DEPTH = 32
# GraphQL string escapes for NUL and for UTF-16 surrogates, as written inside a document.
_DOCUMENT_ESCAPES = re.compile(r"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})|\\u\{0+\}")

UNSTORABLE_TEXT = (
    "The request contains a NUL character or an unpaired UTF-16 surrogate, which no field "
    "accepts; remove it and send the request again."
)


class RejectedBody(Exception):
    """A body the guard refuses, with the message for the client."""


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json_value(value, *, graphql_document_key: str | None = "query") -> None:
    """Raise RejectedBody for JSON nested too deep or holding unstorable text.

    The value under `graphql_document_key` at the top level is a GraphQL document, whose own
    escape sequences are checked too; variables are plain JSON strings.
    """
    pending = [(value, 1, False)]
    while pending:
        item, depth, is_document = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise RejectedBody(
                f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels; flatten it."
            )
        if isinstance(item, str):
            if _unstorable(item) or (is_document and _DOCUMENT_ESCAPES.search(item)):
                raise RejectedBody(UNSTORABLE_TEXT)
        elif isinstance(item, dict):
            for key, child in item.items():
                if _unstorable(key):
                    raise RejectedBody(UNSTORABLE_TEXT)
                document = depth == 1 and key == graphql_document_key
                pending.append((child, depth + 1, document))
        elif isinstance(item, list):
            pending.extend((child, depth + 1, False) for child in item)


def parse_body(body: bytes):
    """Parse a request body as a UTF-8 JSON object, raising RejectedBody otherwise."""
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        # ValueError also covers integers longer than Python's conversion limit.
        raise RejectedBody(
            "The request body is not valid JSON in UTF-8; send a JSON object such as "
            '{"query": "...", "variables": {...}}.'
        ) from None
    if not isinstance(parsed, dict):
        raise RejectedBody(
            f"The request body is a JSON {type(parsed).__name__}, but every endpoint takes one "
            "JSON object; batched GraphQL requests are not supported."
        )
    check_json_value(parsed)
    return parsed


class BodyGuardMiddleware:
    """Reject with 400 a body that is not one sane JSON object, or a URL with unstorable text."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = scope.get("path", "") + unquote(scope.get("query_string", b"").decode("latin-1"))
        if _unstorable(target):
            await self._reject(scope, receive, send, UNSTORABLE_TEXT)
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
        if body.strip():
            try:
                parse_body(body)
            except RejectedBody as rejected:
                await self._reject(scope, receive, send, str(rejected))
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, message: str) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        response = graphql_error_response(message, "BAD_USER_INPUT", 400, request_id_from(headers))
        await response(scope, receive, send)
