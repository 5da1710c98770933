"""Assemble the Strawberry schema from the per-concept query and mutation classes."""

import logging
import re

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig

from resolvers.errors import UseCaseError
from schema.audit_queries import AuditQueries
from schema.cost import QueryCostLimiter
from schema.datasource_queries import DatasourceQueries
from schema.deletion_queries import DeletionQueries
from schema.extensions import ErrorCodes
from schema.mutations.access_tokens import AccessTokenMutations
from schema.mutations.applications import ApplicationMutations
from schema.mutations.assumption import AssumptionMutations
from schema.mutations.datasources import DatasourceMutations
from schema.mutations.deletion import DeletionMutations
from schema.mutations.roles import RoleMutations
from schema.mutations.service_users import ServiceUserMutations
from schema.mutations.sessions import SessionMutations
from schema.mutations.sharing import SharingMutations
from schema.mutations.tags import TagMutations
from schema.mutations.users import UserMutations
from schema.queries import IdentityQueries
from schema.types.audit import AuditEvent
from schema.types.credentials import AccessToken, ServiceUserToken, Session
from schema.types.datasources import Datasource
from schema.types.shares import Share
from settings import Settings

logger = logging.getLogger(__name__)

# graphql-core quotes the rejected input, which may be a password, in these messages.
_SUBMITTED_VALUE = re.compile(r"got invalid value .*?(?=; | at \"|$)", re.S)


@strawberry.type
class Query(IdentityQueries, DatasourceQueries, AuditQueries, DeletionQueries):
    pass


@strawberry.type
class Mutation(
    SessionMutations,
    UserMutations,
    RoleMutations,
    TagMutations,
    AccessTokenMutations,
    ServiceUserMutations,
    SharingMutations,
    DeletionMutations,
    DatasourceMutations,
    ApplicationMutations,
    AssumptionMutations,
):
    pass


class QuietSchema(strawberry.Schema):
    """A schema that never logs GraphQL documents, which can hold passwords and tokens.

    Strawberry's default logs every error with the whole document at ERROR level. Here the
    ErrorCodes extension logs unexpected errors with their traceback and the request id, and
    expected errors (validation, UseCaseError) are logged by message only.
    """

    def process_errors(self, errors, execution_context=None) -> None:
        for error in errors:
            if isinstance(error.original_error, UseCaseError):
                logger.info("graphql error: %s", redact_values(error.message))
            elif error.original_error is None:
                # Validation messages can quote literal arguments, such as a password.
                logger.info("graphql request rejected by validation at %s", error.locations)


def redact_values(message: str) -> str:
    """Remove the submitted value from graphql-core's variable coercion messages."""
    return _SUBMITTED_VALUE.sub("got invalid value <redacted>", message)


# Types reachable only through interfaces or unions are listed so the schema always has them.
EXTRA_TYPES = [AccessToken, AuditEvent, Datasource, ServiceUserToken, Session, Share]


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """Build the schema with the limits and switches of the settings."""
    settings = settings or Settings()
    extensions = [
        ErrorCodes,
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: QueryCostLimiter(max_cost=settings.max_query_cost),
    ]
    if not settings.enable_introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return QuietSchema(
        query=Query,
        mutation=Mutation,
        types=EXTRA_TYPES,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=not settings.enable_field_suggestions),
    )
