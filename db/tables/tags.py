"""Tags and the users who have access to them."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.clock import new_id, utcnow


class Tag(SQLModel, table=True):
    """A `tagKey`/`tagValue` pair; resources shared with a tag reach all of its members."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tag_key", "tag_value", name="uq_tags_key_value"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tag_key: str = Field(max_length=128)
    tag_value: str = Field(max_length=256)
    description: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )


class TagMember(SQLModel, table=True):
    """Access of one user to one tag."""

    __tablename__ = "tag_members"

    tag_id: str = Field(
        sa_column=Column(String(36), ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    added_at: datetime = Field(default_factory=utcnow)
    added_by_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
