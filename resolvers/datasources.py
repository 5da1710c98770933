"""Use cases for datasources, the example resource that users and service users create and share."""

from sqlalchemy import select

from db.paging import Page, count_rows, fetch_page
from db.tables import Datasource, Permission, Share
from db.tables.shares import AccessType, ResourceType, grantee_key_for_user
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import not_found
from resolvers.input_ids import check_ids
from resolvers.pagination import check_first, decode_cursor
from resolvers.sharing import check_access_type, grant, lock_resource, resolve_grantee, revoke
from resolvers.validation import check_text, collect

NAME_MAX_LENGTH = 128
DESCRIPTION_MAX_LENGTH = 1000
DATASOURCE_SORT_COLUMNS = (Datasource.name, Datasource.id)
DATASOURCE_SORT_KEYS = ("name", "id")
DATASOURCE_ACCESS_TYPES = (AccessType.OWNER, AccessType.EDITOR, AccessType.READ_ONLY)


def _describe(datasource: Datasource) -> str:
    return f"datasource '{datasource.name}'"


async def create_datasource(
    ctx: RequestContext, note: AuditNote, *, name: str, description: str | None
) -> Datasource:
    """Create a datasource; the calling identity, a service user too, gets an OWNER share."""
    identity = policy.require_permission(ctx.identity, Permission.DATASOURCES_CREATE)
    collect(
        lambda: check_text(name, "name", NAME_MAX_LENGTH, required=True),
        lambda: check_text(description, "description", DESCRIPTION_MAX_LENGTH),
    )
    datasource = Datasource(
        name=check_text(name, "name", NAME_MAX_LENGTH, required=True),
        description=check_text(description, "description", DESCRIPTION_MAX_LENGTH),
        created_by_id=identity.user.id,
    )
    ctx.session.add(datasource)
    await ctx.session.flush()
    note.target(ResourceType.DATASOURCE, datasource.id)
    ctx.session.add(
        Share(
            resource_type=ResourceType.DATASOURCE,
            resource_id=datasource.id,
            grantee_key=grantee_key_for_user(identity.user.id),
            grantee_user_id=identity.user.id,
            access_type=AccessType.OWNER,
            granted_by_id=identity.person.id,
        )
    )
    await ctx.session.flush()
    return datasource


async def _locked_datasource_for_owner(ctx: RequestContext, datasource_id: str) -> Datasource:
    datasource = await lock_resource(ctx, ResourceType.DATASOURCE, datasource_id)
    if datasource is None:
        raise not_found("datasource", datasource_id, "datasourceId")
    await policy.require_owner_access(
        ctx.session, ctx.identity, ResourceType.DATASOURCE, datasource.id, _describe(datasource)
    )
    return datasource


async def share_datasource(
    ctx: RequestContext,
    note: AuditNote,
    *,
    datasource_id: str,
    user_id: str | None,
    tag_id: str | None,
    access_type: AccessType,
) -> tuple[Datasource, Share]:
    """Share a datasource with a regular user or a tag, or change that share's access type."""
    check_ids({"datasourceId": datasource_id, "userId": user_id, "tagId": tag_id})
    note.target(ResourceType.DATASOURCE, datasource_id)
    datasource = await _locked_datasource_for_owner(ctx, datasource_id)
    check_access_type(access_type, DATASOURCE_ACCESS_TYPES)
    grantee = await resolve_grantee(ctx, user_id, tag_id)
    note.details.update(grantee.details())
    note.details["accessType"] = access_type.value
    share = await grant(
        ctx, ResourceType.DATASOURCE, datasource.id, grantee, access_type, _describe(datasource)
    )
    return datasource, share


async def unshare_datasource(
    ctx: RequestContext,
    note: AuditNote,
    *,
    datasource_id: str,
    user_id: str | None,
    tag_id: str | None,
) -> Datasource:
    """Take a grantee's access to a datasource away; the last OWNER share stays."""
    check_ids({"datasourceId": datasource_id, "userId": user_id, "tagId": tag_id})
    note.target(ResourceType.DATASOURCE, datasource_id)
    datasource = await _locked_datasource_for_owner(ctx, datasource_id)
    grantee = await resolve_grantee(ctx, user_id, tag_id)
    note.details.update(grantee.details())
    await revoke(ctx, ResourceType.DATASOURCE, datasource.id, grantee, _describe(datasource))
    return datasource


async def list_datasources(ctx: RequestContext, first: int, after: str | None) -> tuple[Page, int]:
    """Return one page of the datasources the caller may see, by name, and their number.

    Super admins see every datasource; others see those shared with them or with a tag they
    have access to, whatever the access type.
    """
    identity = policy.require_identity(ctx.identity)
    check_first(first)
    position = decode_cursor(after, DATASOURCE_SORT_COLUMNS) if after else None
    statement = select(Datasource)
    if not identity.is_super_admin:
        visible = policy.shared_resource_ids(identity.user.id, ResourceType.DATASOURCE)
        statement = statement.where(Datasource.id.in_(visible))
    page = await fetch_page(
        ctx.session, statement, DATASOURCE_SORT_COLUMNS, DATASOURCE_SORT_KEYS, first, position
    )
    return page, await count_rows(ctx.session, statement)


async def find_datasource(ctx: RequestContext, datasource_id: str) -> Datasource:
    """Return one datasource the caller may see; others are reported as not found."""
    identity = policy.require_identity(ctx.identity)
    check_ids({"datasourceId": datasource_id})
    datasource = await ctx.loaders.datasource.load(datasource_id)
    if datasource is None or not await policy.has_any_access(
        ctx.session, identity, ResourceType.DATASOURCE, datasource.id
    ):
        # An unshared datasource is reported as missing, so ids cannot be probed.
        raise not_found("datasource", datasource_id, "datasourceId")
    return datasource
