"""Root query for the audit trail."""

import strawberry
from strawberry.types import Info

from resolvers import audit_events
from resolvers.pagination import DEFAULT_PAGE_SIZE
from schema.connection import Connection
from schema.types.audit import AuditEvent


@strawberry.input(description="Conditions of the audit event list; all given conditions must hold.")
class AuditEventFilter:
    action: str | None = strawberry.field(default=None, description="Such as `deleteUser`.")
    target_id: strawberry.ID | None = None
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person who acted, also behind a service user."
    )
    outcome: str | None = strawberry.field(default=None, description="SUCCESS, FAILURE or ERROR.")


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="Audit events, newest first: all for super admins, else the caller's own "
        "and those about resources it has Owner access to."
    )
    async def audit_events(
        self,
        info: Info,
        filter: AuditEventFilter | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[AuditEvent]:
        requested = filter or AuditEventFilter()
        page, total = await audit_events.list_audit_events(
            info.context,
            audit_events.AuditEventFilter(
                action=requested.action,
                target_id=requested.target_id,
                actor_id=requested.actor_id,
                outcome=requested.outcome,
            ),
            first,
            after,
        )
        return Connection.from_page(page, total, AuditEvent.from_row)
