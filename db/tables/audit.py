"""Audit events: one row per mutation and per assumption."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from db.clock import new_id, utcnow


class AuditEvent(SQLModel, table=True):
    """Record of an action: the person, the identity and role, the target and the outcome.

    User and role ids are not foreign keys so that the trail outlives deleted users.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created", "created_at", "id"),
        Index("ix_audit_events_target", "target_type", "target_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow)
    action: str = Field(max_length=64)
    # The person behind the request: the user itself, or the person who assumed a service user.
    actor_id: str | None = Field(default=None, max_length=36)
    actor_username: str | None = Field(default=None, max_length=64)
    # The effective identity: the regular user, or the assumed service user.
    user_id: str | None = Field(default=None, max_length=36)
    role_id: str | None = Field(default=None, max_length=36)
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=36)
    outcome: str = Field(max_length=16)
    error_code: str | None = Field(default=None, max_length=48)
    request_id: str | None = Field(default=None, max_length=64)
    details: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
