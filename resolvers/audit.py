"""Audit trail: one event per mutation and per assumption, on success and on failure."""

import logging
from dataclasses import dataclass, field
from typing import Any

from db.tables import AuditEvent
from resolvers.context import RequestContext

logger = logging.getLogger(__name__)


@dataclass
class AuditNote:
    """Target and details that a use case records for its audit event while it runs."""

    target_type: str | None = None
    target_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # Id and username of the person acting when the request has no identity yet (signIn).
    # Plain strings, because a rollback expires ORM rows before a failure is recorded.
    anonymous_actor: tuple[str, str] | None = None

    def target(self, target_type: str, target_id: str | None) -> None:
        """Name the object the action is about."""
        self.target_type = target_type
        self.target_id = target_id


def add_audit_event(
    ctx: RequestContext,
    action: str,
    note: AuditNote,
    *,
    outcome: str,
    error_code: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits it."""
    identity = ctx.identity
    if identity is not None:
        actor_id, actor_username = identity.person.id, identity.person.username
    else:
        actor_id, actor_username = note.anonymous_actor or (None, None)
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        actor_username=actor_username,
        user_id=identity.user.id if identity else None,
        role_id=identity.role.id if identity else None,
        target_type=note.target_type,
        # Ids from input can be longer than any real id; the column keeps the first 36.
        target_id=note.target_id[:36] if note.target_id else None,
        outcome=outcome,
        error_code=error_code,
        request_id=ctx.request_id,
        details=note.details or None,
    )
    ctx.session.add(event)
    logger.info(
        "audit action=%s outcome=%s actor=%s user=%s target=%s:%s request=%s",
        action,
        outcome,
        actor_id,
        event.user_id,
        note.target_type,
        note.target_id,
        ctx.request_id,
    )
    return event
