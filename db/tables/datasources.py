"""Datasources: the example data-platform resource that users and service users create."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from db.clock import new_id, utcnow


class Datasource(SQLModel, table=True):
    """A named connection to data, owned through shares."""

    __tablename__ = "datasources"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=128)
    description: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
