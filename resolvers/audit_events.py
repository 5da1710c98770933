"""Reading the audit trail: newest events first, filtered, limited to what the caller may see."""

from dataclasses import dataclass

from sqlalchemy import select

from db.paging import Page, count_rows, fetch_page
from db.tables import AuditEvent
from resolvers import policy
from resolvers.context import RequestContext
from resolvers.pagination import check_first, decode_cursor
from resolvers.validation import check_text

AUDIT_SORT_COLUMNS = (AuditEvent.created_at, AuditEvent.id)
AUDIT_SORT_KEYS = ("created_at", "id")


@dataclass
class AuditEventFilter:
    """Optional conditions of the audit event list; each compares for equality."""

    action: str | None = None
    target_id: str | None = None
    actor_id: str | None = None
    outcome: str | None = None


async def list_audit_events(
    ctx: RequestContext, event_filter: AuditEventFilter, first: int, after: str | None
) -> tuple[Page, int]:
    """Return one page of the audit events the caller may read, newest first, and their number."""
    identity = policy.require_identity(ctx.identity)
    check_first(first)
    position = decode_cursor(after, AUDIT_SORT_COLUMNS) if after else None
    statement = select(AuditEvent)
    visible = policy.visible_audit_events(identity)
    if visible is not None:
        statement = statement.where(visible)
    for column, field, value in (
        (AuditEvent.action, "action", event_filter.action),
        (AuditEvent.target_id, "targetId", event_filter.target_id),
        (AuditEvent.actor_id, "actorId", event_filter.actor_id),
        (AuditEvent.outcome, "outcome", event_filter.outcome),
    ):
        if value is not None:
            # The column's length is the limit, so a longer value would match nothing anyway.
            value = check_text(value, field, column.type.length)
            statement = statement.where(column == value)
    page = await fetch_page(
        ctx.session,
        statement,
        AUDIT_SORT_COLUMNS,
        AUDIT_SORT_KEYS,
        first,
        position,
        descending=True,
    )
    return page, await count_rows(ctx.session, statement)
