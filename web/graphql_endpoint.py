"""The /graphql endpoint: authenticate, build the request context, run Strawberry, log."""

import logging
import time

from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from auth.identity import AuthenticationError
from resolvers.context import RequestContext
from web.metrics import GRAPHQL_DURATION, GRAPHQL_REQUESTS
from web.request_context import authenticated_context, rejected_credential_response
from web.request_id import request_id_from
from web.state import AppState

logger = logging.getLogger(__name__)

CONTEXT_KEY = "service_users.context"


class _StrawberryApp(GraphQL):
    async def get_context(self, request, response) -> RequestContext:
        return request.scope[CONTEXT_KEY]


class GraphQLEndpoint:
    """ASGI app serving GraphQL over POST (and GraphiQL on GET when enabled)."""

    def __init__(self, state: AppState, schema):
        self.state = state
        settings = state.settings
        self.graphql = _StrawberryApp(
            schema,
            graphql_ide="graphiql" if settings.enable_graphiql else None,
            allow_queries_via_get=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = Request(scope, receive)
        request_id = request_id_from(request.headers)
        outcome = "ok"

        async def send_with_request_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((b"x-request-id", request_id.encode()))
                # Responses can carry session tokens, access token secrets and service-user tokens.
                message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        async with self.state.sessions() as db:
            try:
                context = await authenticated_context(self.state, request, db, request_id)
            except AuthenticationError as error:
                GRAPHQL_REQUESTS.labels("unauthenticated").inc()
                response = await rejected_credential_response(db, error, request, request_id)
                await response(scope, receive, send)
                return
            identity = context.identity
            scope[CONTEXT_KEY] = context
            try:
                await self.graphql(scope, receive, send_with_request_id)
            except Exception:
                outcome = "error"
                raise
            finally:
                duration = time.perf_counter() - started
                GRAPHQL_DURATION.observe(duration)
                GRAPHQL_REQUESTS.labels(context.outcome or outcome).inc()
                logger.info(
                    "request=%s operation=%s user=%s actor=%s role=%s duration_ms=%.1f outcome=%s",
                    request_id,
                    context.operation_name,
                    identity.user.id if identity else None,
                    identity.actor.id if identity and identity.actor else None,
                    identity.role.id if identity else None,
                    duration * 1000,
                    context.outcome or outcome,
                )
