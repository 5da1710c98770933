"""Schema extensions: expected errors get codes, unexpected ones are masked and logged."""

import logging

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.errors import UseCaseError

logger = logging.getLogger(__name__)


class ErrorCodes(SchemaExtension):
    """Give every error `extensions.code`; hide the text of unexpected exceptions."""

    def on_operation(self):
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if hasattr(context, "operation_name"):
            context.operation_name = self.execution_context.operation_name
            context.outcome = "errors" if result is not None and result.errors else "ok"
        if result is None or not result.errors:
            return
        request_id = getattr(context, "request_id", None)
        result.errors = [self._format(error, request_id) for error in result.errors]

    @staticmethod
    def _format(error: GraphQLError, request_id: str | None) -> GraphQLError:
        original = error.original_error
        if isinstance(original, UseCaseError) and original.errors:
            first = original.errors[0]
            extensions = {"code": first.code.value}
            if first.field:
                extensions["field"] = first.field
            return GraphQLError(
                first.message,
                error.nodes,
                error.source,
                error.positions,
                error.path,
                extensions=extensions,
            )
        if original is None or isinstance(original, GraphQLError):
            extensions = dict(error.extensions or {})
            extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
            return GraphQLError(
                error.message,
                error.nodes,
                error.source,
                error.positions,
                error.path,
                extensions=extensions,
            )
        logger.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or []),
            request_id,
            exc_info=original,
        )
        return GraphQLError(
            f"Internal server error; quote request id {request_id} when reporting it.",
            error.nodes,
            error.source,
            error.positions,
            error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )
