"""Use cases for tags and tag membership (tag access)."""

from sqlalchemy import delete, select

from db.locks import lock_users
from db.paging import Page, count_rows, fetch_page
from db.tables import Permission, Share, Tag, TagMember
from db.tables.shares import AccessType, ResourceType, grantee_key_for_user
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, fail
from resolvers.lookups import get_tag, get_user
from resolvers.pagination import check_first, decode_cursor
from resolvers.token_revocation import revoke_tokens_without_owner_access
from resolvers.validation import check_text

TAG_SORT_COLUMNS = (Tag.tag_key, Tag.tag_value, Tag.id)
TAG_SORT_KEYS = ("tag_key", "tag_value", "id")


async def list_tags(ctx: RequestContext, first: int, after: str | None) -> tuple[Page, int]:
    """Return one page of tags ordered by key and value, and the number of tags."""
    policy.require_identity(ctx.identity)
    check_first(first)
    position = decode_cursor(after, TAG_SORT_COLUMNS) if after else None
    statement = select(Tag)
    page = await fetch_page(
        ctx.session, statement, TAG_SORT_COLUMNS, TAG_SORT_KEYS, first, position
    )
    return page, await count_rows(ctx.session, statement)


async def create_tag(
    ctx: RequestContext, note: AuditNote, *, tag_key: str, tag_value: str, description: str | None
) -> Tag:
    """Create a tag; its creator gets an OWNER share on it."""
    identity = policy.require_permission(ctx.identity, Permission.TAGS_MANAGE)
    if identity.is_service_user:
        identity = policy.require_person(identity, "create tags")
    tag_key = check_text(tag_key, "tagKey", 128, required=True)
    tag_value = check_text(tag_value, "tagValue", 256, required=True)
    clash = (
        await ctx.session.execute(
            select(Tag.id).where(Tag.tag_key == tag_key, Tag.tag_value == tag_value)
        )
    ).scalar_one_or_none()
    if clash is not None:
        raise fail(
            ErrorCode.CONFLICT,
            f"Tag '{tag_key}={tag_value}' already exists (id {clash}).",
            "tagKey",
        )
    tag = Tag(
        tag_key=tag_key,
        tag_value=tag_value,
        description=check_text(description, "description", 1000),
        created_by_id=identity.person.id,
    )
    ctx.session.add(tag)
    await ctx.session.flush()
    ctx.session.add(
        Share(
            resource_type=ResourceType.TAG,
            resource_id=tag.id,
            grantee_key=grantee_key_for_user(identity.user.id),
            grantee_user_id=identity.user.id,
            access_type=AccessType.OWNER,
            granted_by_id=identity.person.id,
        )
    )
    note.target("TAG", tag.id)
    return tag


async def add_tag_member(ctx: RequestContext, note: AuditNote, tag_id: str, user_id: str) -> Tag:
    """Give a user access to a tag; needs Owner access to the tag itself."""
    tag = await get_tag(ctx.session, tag_id)
    note.target("TAG", tag.id)
    note.details["userId"] = user_id
    identity = await policy.require_tag_member_manager(ctx.session, ctx.identity, tag)
    user = await get_user(ctx.session, user_id)
    if user.is_service_user:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"User '{user.username}' is a service user; tag access is for regular users, so "
            "that no chain of service users can reach a resource.",
            "userId",
        )
    if await ctx.session.get(TagMember, (tag.id, user.id)) is not None:
        raise fail(
            ErrorCode.CONFLICT,
            f"User '{user.username}' already has access to tag '{tag.tag_key}={tag.tag_value}'.",
            "userId",
        )
    ctx.session.add(TagMember(tag_id=tag.id, user_id=user.id, added_by_id=identity.person.id))
    await ctx.session.flush()
    return tag


async def remove_tag_member(ctx: RequestContext, note: AuditNote, tag_id: str, user_id: str) -> Tag:
    """Take a user's access to a tag away; needs Owner access to the tag itself.

    Then the live tokens of the service users shared with the tag are revoked in the same
    transaction when their issuing person no longer has Owner access.
    """
    tag = await get_tag(ctx.session, tag_id)
    note.target("TAG", tag.id)
    note.details["userId"] = user_id
    identity = await policy.require_tag_member_manager(ctx.session, ctx.identity, tag)
    user = await get_user(ctx.session, user_id)
    # Serialises with an assumption by this user, which locks the same row.
    await lock_users(ctx.session, user.id)
    result = await ctx.session.execute(
        delete(TagMember).where(TagMember.tag_id == tag.id, TagMember.user_id == user.id)
    )
    if result.rowcount == 0:
        raise fail(
            ErrorCode.NOT_FOUND,
            f"User '{user.username}' has no access to tag '{tag.tag_key}={tag.tag_value}'.",
            "userId",
        )
    service_users_of_tag = select(Share.resource_id).where(
        Share.resource_type == ResourceType.SERVICE_USER,
        Share.grantee_tag_id == tag.id,
        Share.access_type == AccessType.OWNER,
    )
    note.details["revokedServiceUserTokens"] = await revoke_tokens_without_owner_access(
        ctx.session, identity.person.id, service_user_ids=service_users_of_tag
    )
    return tag
