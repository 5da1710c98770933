"""Prometheus metrics of the HTTP surface."""

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

REGISTRY = CollectorRegistry()
GRAPHQL_REQUESTS = Counter(
    "service_users_graphql_requests_total",
    "GraphQL requests by outcome (ok, errors, unauthenticated, rejected)",
    ["outcome"],
    registry=REGISTRY,
)
GRAPHQL_DURATION = Histogram(
    "service_users_graphql_request_duration_seconds",
    "Time to answer a GraphQL request, authentication included",
    registry=REGISTRY,
)


async def metrics_endpoint(_request: Request) -> Response:
    """Serve the metrics in the Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
