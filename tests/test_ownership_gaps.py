"""Who may change tag members and read owned resources, and when access to service users ends.

Tag members change only with Owner access to the tag. Owned resources are read only by the
user, its owners and managers, and hide datasources the caller cannot see. A PAT created while
acting as a service user needs its creator to keep Owner access. Service-user tokens are
revoked for good when their issuer loses access. A failed sign-in names no actor.
"""

import pytest
from sqlalchemy import select

from db.tables import (
    AuditEvent,
    Datasource,
    Permission,
    RoleAttachment,
    Share,
    Tag,
    TagMember,
    User,
)
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from db.tables.shares import AccessType, ResourceType, grantee_key_for_tag, grantee_key_for_user
from db.tables.tokens import AccessToken, ServiceUserToken
from tests.support.api import SIGN_IN
from tests.support.databases import snapshot
from tests.support.identities import create_access_token as store_access_token
from tests.support.identities import session_row
from tests.support.service_users import (
    ASSUME,
    add_tag_member,
    as_service_user,
    assume,
    assumed_token,
    attach_role,
    create_access_token,
    create_person,
    create_role,
    setup_assumable_service_user,
)
from tests.support.world import (
    DIRECT_OWNER,
    SERVICE_USER,
    SUPER_ADMIN,
    TAG_OWNER,
    UNRELATED,
    add_rows,
    build_world,
    fetch_all,
    make_role,
)

ME = "{ me { user { username } actor { username } credential } }"

ADD_TAG_MEMBER = """
mutation Add($tagId: ID!, $userId: ID!) {
  addTagMember(input: {tagId: $tagId, userId: $userId}) { errors { code message field } }
}
"""

REMOVE_TAG_MEMBER = """
mutation Remove($tagId: ID!, $userId: ID!) {
  removeTagMember(input: {tagId: $tagId, userId: $userId}) { errors { code message field } }
}
"""

SHARE_SERVICE_USER = """
mutation Share($serviceUserId: ID!, $userId: ID!) {
  shareServiceUser(input: {serviceUserId: $serviceUserId, userId: $userId}) {
    errors { code message field }
  }
}
"""

UNSHARE_SERVICE_USER = """
mutation Unshare($serviceUserId: ID!, $userId: ID!) {
  unshareServiceUser(input: {serviceUserId: $serviceUserId, userId: $userId}) {
    errors { code message field }
  }
}
"""

DISABLE_USER = """
mutation Disable($id: ID!) { disableUser(input: {userId: $id}) { errors { code message field } } }
"""

ENABLE_USER = """
mutation Enable($id: ID!) { enableUser(input: {userId: $id}) { errors { code message field } } }
"""

DELETE_USER = """
mutation Delete($id: ID!, $transferTo: ID!) {
  deleteUser(input: {userId: $id, transferToUserId: $transferTo}) {
    errors { code message field }
  }
}
"""

GLOBAL_SIGN_OUT = """
mutation SignOutEverywhere($id: ID) {
  globalSignOut(input: {userId: $id}) { signedOutSessions errors { code message field } }
}
"""

ATTACH_ROLE = """
mutation Attach($userId: ID!, $roleId: ID!) {
  attachRole(input: {userId: $userId, roleId: $roleId}) { errors { code message field } }
}
"""

DETACH_ROLE = """
mutation Detach($userId: ID!, $roleId: ID!) {
  detachRole(input: {userId: $userId, roleId: $roleId}) { errors { code message field } }
}
"""

CREATE_DATASOURCE = """
mutation CreateDatasource($name: String!) {
  createDatasource(input: {name: $name}) { datasource { datasourceId } errors { code message } }
}
"""

OWNED_RESOURCES = """
query Owned($id: ID!) {
  user(userId: $id) {
    username
    ownedResources {
      totalCount
      edges {
        node {
          resourceType
          resourceId
          resource {
            __typename
            ... on Datasource { name }
            ... on User { username }
          }
        }
      }
    }
  }
}
"""

DATASOURCE = "query($id: ID!) { datasource(datasourceId: $id) { name } }"


def errors_of(result, name: str) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in result.data[name]["errors"]]


async def last_audit_event(engine, action: str) -> AuditEvent:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return (await fetch_all(engine, statement))[0]


async def token_entry(engine, token_id: str) -> ServiceUserToken:
    return (
        await fetch_all(engine, select(ServiceUserToken).where(ServiceUserToken.id == token_id))
    )[0]


async def assume_for_id(api, credential: str, service_user_id: str, role_id: str) -> tuple:
    """Assume a service user and return the token and its registry id."""
    payload = await assume(api, credential, service_user_id, role_id)
    assert payload["errors"] == [], payload
    return payload["token"], payload["tokenId"]


async def assert_rejected(api, headers: dict[str, str], expected: str) -> None:
    result = await api.execute(ME, headers=headers)

    assert result.status == 401, result.body
    assert result.error_codes == ["UNAUTHENTICATED"]
    assert expected in result.body["errors"][0]["message"]


async def assert_accepted(api, headers: dict[str, str]) -> dict:
    result = await api.execute(ME, headers=headers)

    assert result.status == 200, result.body
    return result.data["me"]


@pytest.fixture
async def world(engine):
    return await setup_assumable_service_user(engine)


# Tag members: Owner access to the tag itself, never TAGS_MANAGE alone.


async def test_add_tag_member_self_escalation_forbidden(api, engine, world):
    # carol may create tags, and tries to join team=data, which owns etl-bot.
    taggers = await create_role(engine, "Taggers", ["TAGS_MANAGE"])
    await attach_role(engine, world.stranger.user_id, taggers)
    headers = {"role_id": taggers}
    before = await snapshot(engine)

    result = await api.execute(
        ADD_TAG_MEMBER,
        {"tagId": world.tag_id, "userId": world.stranger.user_id},
        token=world.stranger.token,
        headers=headers,
    )

    assert errors_of(result, "addTagMember") == [("FORBIDDEN", ["tagId"])]
    assert "team=data" in result.data["addTagMember"]["errors"][0]["message"]
    assert await snapshot(engine) == before
    assumption = await assume(
        api, world.stranger.token, world.service_user_id, world.ingest_role_id
    )
    assert assumption["errors"][0]["code"] == "FORBIDDEN"


async def test_remove_tag_member_tags_manage_alone_forbidden(api, engine, world):
    taggers = await create_role(engine, "Taggers", ["TAGS_MANAGE"])
    await attach_role(engine, world.stranger.user_id, taggers)
    before = await snapshot(engine)

    result = await api.execute(
        REMOVE_TAG_MEMBER,
        {"tagId": world.tag_id, "userId": world.tag_member.user_id},
        token=world.stranger.token,
        headers={"role_id": taggers},
    )

    assert errors_of(result, "removeTagMember") == [("FORBIDDEN", ["tagId"])]
    assert await snapshot(engine) == before


async def test_tag_members_changed_by_direct_owner(api, engine, world):
    await add_rows(
        engine,
        Share(
            resource_type=ResourceType.TAG,
            resource_id=world.tag_id,
            grantee_key=grantee_key_for_user(world.stranger.user_id),
            grantee_user_id=world.stranger.user_id,
            access_type=AccessType.OWNER,
        ),
    )
    variables = {"tagId": world.tag_id, "userId": world.owner.user_id}

    added = await api.execute(ADD_TAG_MEMBER, variables, token=world.stranger.token)
    removed = await api.execute(REMOVE_TAG_MEMBER, variables, token=world.stranger.token)

    assert errors_of(added, "addTagMember") == []
    assert errors_of(removed, "removeTagMember") == []


async def test_tag_members_owner_through_tag_forbidden(api, engine, world):
    # Tags are not shared with tags; a stray OWNER share of that kind still grants nothing.
    owners = Tag(tag_key="owners", tag_value="data")
    await add_rows(
        engine,
        owners,
        TagMember(tag_id=owners.id, user_id=world.stranger.user_id),
        Share(
            resource_type=ResourceType.TAG,
            resource_id=world.tag_id,
            grantee_key=grantee_key_for_tag(owners.id),
            grantee_tag_id=owners.id,
            access_type=AccessType.OWNER,
        ),
    )
    before = await snapshot(engine)

    result = await api.execute(
        ADD_TAG_MEMBER,
        {"tagId": world.tag_id, "userId": world.stranger.user_id},
        token=world.stranger.token,
    )

    assert errors_of(result, "addTagMember") == [("FORBIDDEN", ["tagId"])]
    assert await snapshot(engine) == before


async def test_tag_members_super_admin_needs_active_role(api, admin, engine, world):
    variables = {"tagId": world.tag_id, "userId": world.stranger.user_id}
    before = await snapshot(engine)

    as_default_user = await api.execute(
        ADD_TAG_MEMBER, variables, token=admin.token, headers={"role_id": DEFAULT_USERS_ROLE_ID}
    )

    assert errors_of(as_default_user, "addTagMember") == [("FORBIDDEN", ["tagId"])]
    assert await snapshot(engine) == before
    as_super_admin = await api.execute(ADD_TAG_MEMBER, variables, token=admin.token)
    assert errors_of(as_super_admin, "addTagMember") == []


@pytest.mark.parametrize("power", ["tag owner share", "super admin role"])
@pytest.mark.parametrize(
    "document,name", [(ADD_TAG_MEMBER, "addTagMember"), (REMOVE_TAG_MEMBER, "removeTagMember")]
)
async def test_tag_members_service_user_identity_rejected(
    api, engine, world, power, document, name
):
    if power == "super admin role":
        await attach_role(engine, world.service_user_id, SUPER_ADMIN_ROLE_ID)
        role_id = SUPER_ADMIN_ROLE_ID
    else:
        await add_rows(
            engine,
            Share(
                resource_type=ResourceType.TAG,
                resource_id=world.tag_id,
                grantee_key=grantee_key_for_user(world.service_user_id),
                grantee_user_id=world.service_user_id,
                access_type=AccessType.OWNER,
            ),
        )
        role_id = DEFAULT_USERS_ROLE_ID
    secret = await store_access_token(engine, world.service_user_id, role_id)
    user_id = world.stranger.user_id if name == "addTagMember" else world.tag_member.user_id
    before = await snapshot(engine)

    result = await api.execute(document, {"tagId": world.tag_id, "userId": user_id}, token=secret)

    assert result.data[name]["errors"][0]["code"] == "NOT_SUPPORTED_FOR_SERVICE_USER"
    assert await snapshot(engine) == before


# Owned resources: the user, its owners and managers read them; datasources stay hidden.


@pytest.fixture
async def installation(engine):
    """Build the shared authorisation world, plus `mona`, with USERS_MANAGE and no shares."""
    world = await build_world(engine)
    managers = make_role("Managers", [Permission.USERS_MANAGE])
    mona = User(
        username="mona",
        username_key="mona",
        email="mona@example.com",
        email_key="mona@example.com",
        default_role_id=managers.id,
    )
    token, session = session_row(mona.id)
    await add_rows(
        engine,
        managers,
        mona,
        RoleAttachment(user_id=mona.id, role_id=managers.id),
        session,
    )
    world.user_ids["mona"] = mona.id
    world.tokens["manager"] = token
    return world


def owned(result) -> list[tuple[str, dict | None]]:
    edges = result.data["user"]["ownedResources"]["edges"]
    return sorted(
        ((e["node"]["resourceType"], e["node"]["resource"]) for e in edges),
        key=lambda pair: (pair[0], str(pair[1])),
    )


@pytest.mark.parametrize("caller", [DIRECT_OWNER, SUPER_ADMIN])
async def test_owned_resources_read_by_user_and_super_admin(api, installation, caller):
    result = await api.execute(
        OWNED_RESOURCES, {"id": installation.id("olive")}, token=installation.token(caller)
    )

    assert owned(result) == [
        ("DATASOURCE", {"__typename": "Datasource", "name": "sales"}),
        ("SERVICE_USER", {"__typename": "User", "username": "retired"}),
        ("SERVICE_USER", {"__typename": "User", "username": "robot"}),
    ]


async def test_owned_resources_manager_sees_no_hidden_datasource(api, installation):
    result = await api.execute(
        OWNED_RESOURCES, {"id": installation.id("olive")}, token=installation.token("manager")
    )

    assert result.data["user"]["ownedResources"]["totalCount"] == 3
    assert owned(result) == [
        ("DATASOURCE", None),
        ("SERVICE_USER", {"__typename": "User", "username": "retired"}),
        ("SERVICE_USER", {"__typename": "User", "username": "robot"}),
    ]
    datasource = await api.execute(
        DATASOURCE, {"id": installation.datasource_id}, token=installation.token("manager")
    )
    assert datasource.error_codes == ["NOT_FOUND"]


async def test_owned_resources_manager_sees_shared_datasource(api, engine, installation):
    await add_rows(
        engine,
        Share(
            resource_type=ResourceType.DATASOURCE,
            resource_id=installation.datasource_id,
            grantee_key=grantee_key_for_user(installation.id("mona")),
            grantee_user_id=installation.id("mona"),
            access_type=AccessType.READ_ONLY,
        ),
    )

    result = await api.execute(
        OWNED_RESOURCES, {"id": installation.id("olive")}, token=installation.token("manager")
    )

    assert ("DATASOURCE", {"__typename": "Datasource", "name": "sales"}) in owned(result)


@pytest.mark.parametrize("caller", [UNRELATED, TAG_OWNER, SERVICE_USER])
async def test_owned_resources_of_other_person_forbidden(api, installation, caller):
    result = await api.execute(
        OWNED_RESOURCES, {"id": installation.id("olive")}, token=installation.token(caller)
    )

    assert result.error_codes == ["FORBIDDEN"]
    assert result.body["errors"][0]["path"] == ["user", "ownedResources"]
    assert result.body["data"]["user"] == {"username": "olive", "ownedResources": None}


async def _service_user_owning_datasource(engine, installation) -> str:
    """Give `robot` an OWNER share on a new datasource that is shared with no one else."""
    robot_data = Datasource(name="robot-data")
    await add_rows(
        engine,
        robot_data,
        Share(
            resource_type=ResourceType.DATASOURCE,
            resource_id=robot_data.id,
            grantee_key=grantee_key_for_user(installation.id("robot")),
            grantee_user_id=installation.id("robot"),
            access_type=AccessType.OWNER,
        ),
    )
    return robot_data.id


@pytest.mark.parametrize("caller", [DIRECT_OWNER, TAG_OWNER])
async def test_owned_resources_of_service_user_read_by_owners(api, engine, installation, caller):
    await _service_user_owning_datasource(engine, installation)

    result = await api.execute(
        OWNED_RESOURCES, {"id": installation.id("robot")}, token=installation.token(caller)
    )

    # The owners of robot were never shared robot-data, so its name stays hidden from them.
    assert owned(result) == [("DATASOURCE", None)]


async def test_owned_resources_of_service_user_read_by_itself(api, engine, installation):
    await _service_user_owning_datasource(engine, installation)
    secret = await store_access_token(engine, installation.id("robot"), DEFAULT_USERS_ROLE_ID)

    result = await api.execute(OWNED_RESOURCES, {"id": installation.id("robot")}, token=secret)

    assert owned(result) == [("DATASOURCE", {"__typename": "Datasource", "name": "robot-data"})]


@pytest.mark.parametrize("caller", [UNRELATED, "manager"])
async def test_owned_resources_of_service_user_forbidden(api, engine, installation, caller):
    await _service_user_owning_datasource(engine, installation)

    result = await api.execute(
        OWNED_RESOURCES, {"id": installation.id("robot")}, token=installation.token(caller)
    )

    assert result.error_codes == ["FORBIDDEN"]
    assert result.body["data"]["user"]["ownedResources"] is None


async def test_owned_resources_visibility_statements_constant(
    api, engine, installation, statements
):
    async def add_datasources(names: list[str]) -> None:
        rows = []
        for name in names:
            datasource = Datasource(name=name)
            rows.append(datasource)
            rows.append(
                Share(
                    resource_type=ResourceType.DATASOURCE,
                    resource_id=datasource.id,
                    grantee_key=grantee_key_for_user(installation.id("olive")),
                    grantee_user_id=installation.id("olive"),
                    access_type=AccessType.OWNER,
                )
            )
        await add_rows(engine, *rows)

    async def count_statements() -> int:
        statements.reset()
        result = await api.execute(
            OWNED_RESOURCES, {"id": installation.id("olive")}, token=installation.token("manager")
        )
        assert "errors" not in result.body, result.body
        return statements.count

    await add_datasources(["a1"])
    few = await count_statements()
    await add_datasources(["b1", "b2", "b3", "b4"])
    many = await count_statements()

    assert many == few


# PATs created while acting as a service user: their creator must keep Owner access.


async def actor_pat(api, person_token: str, world) -> str:
    """Assume etl-bot as a person and create a PAT while acting as it; return the secret."""
    token = await assumed_token(api, person_token, world.service_user_id, world.ingest_role_id)
    created = await create_access_token(api, world.ingest_role_id, headers=as_service_user(token))
    return created["secret"]


async def test_actor_pat_names_creator_as_actor(api, engine, world):
    secret = await actor_pat(api, world.owner.token, world)

    me = await assert_accepted(api, {"Authorization": secret})
    result = await api.execute(CREATE_DATASOURCE, {"name": "nightly"}, token=secret)

    assert me == {
        "user": {"username": "etl-bot"},
        "actor": {"username": "alice"},
        "credential": "ACCESS_TOKEN",
    }
    assert result.data["createDatasource"]["errors"] == []
    event = await last_audit_event(engine, "createDatasource")
    assert event.actor_id == world.owner.user_id
    assert event.actor_username == "alice"
    assert event.user_id == world.service_user_id


async def test_actor_pat_of_super_admin_needs_no_share(api, admin, world):
    secret = await actor_pat(api, admin.token, world)

    me = await assert_accepted(api, {"Authorization": secret})

    assert me["actor"] == {"username": admin.username}


async def test_service_user_own_pat_has_no_actor(api, engine, world):
    secret = await store_access_token(engine, world.service_user_id, world.ingest_role_id)

    me = await assert_accepted(api, {"Authorization": secret})

    assert me["actor"] is None


async def test_actor_pat_rejected_when_creator_disabled(api, admin, world):
    secret = await actor_pat(api, world.owner.token, world)

    result = await api.execute(DISABLE_USER, {"id": world.owner.user_id}, token=admin.token)

    assert errors_of(result, "disableUser") == []
    await assert_rejected(
        api,
        {"Authorization": secret},
        "User 'alice', who created access token 'automation' while acting as service user "
        "'etl-bot', is disabled",
    )


async def test_actor_pat_rejected_when_creator_unshared(api, admin, world):
    secret = await actor_pat(api, world.owner.token, world)

    result = await api.execute(
        UNSHARE_SERVICE_USER,
        {"serviceUserId": world.service_user_id, "userId": world.owner.user_id},
        token=admin.token,
    )

    assert errors_of(result, "unshareServiceUser") == []
    await assert_rejected(
        api, {"Authorization": secret}, "'alice', who created access token 'automation'"
    )
    await assert_rejected(api, {"Authorization": secret}, "no longer has Owner access")


async def test_actor_pat_rejected_when_creator_leaves_tag(api, admin, world):
    secret = await actor_pat(api, world.tag_member.token, world)

    result = await api.execute(
        REMOVE_TAG_MEMBER,
        {"tagId": world.tag_id, "userId": world.tag_member.user_id},
        token=admin.token,
    )

    assert errors_of(result, "removeTagMember") == []
    await assert_rejected(api, {"Authorization": secret}, "no longer has Owner access")


async def test_actor_pat_deleted_with_creator(api, admin, engine, world):
    secret = await actor_pat(api, world.owner.token, world)
    await api.execute(DISABLE_USER, {"id": world.owner.user_id}, token=admin.token)

    result = await api.execute(
        DELETE_USER,
        {"id": world.owner.user_id, "transferTo": world.stranger.user_id},
        token=admin.token,
    )

    assert errors_of(result, "deleteUser") == []
    assert (
        await fetch_all(
            engine, select(AccessToken.id).where(AccessToken.user_id == world.service_user_id)
        )
        == []
    )
    await assert_rejected(api, {"Authorization": secret}, "The access token is not valid")


# Service-user tokens: revoked for good when the issuer loses the right to them.


async def test_disable_person_revokes_issued_tokens(api, admin, engine, world):
    token, token_id = await assume_for_id(
        api, world.owner.token, world.service_user_id, world.ingest_role_id
    )
    other_token = await assumed_token(
        api, world.tag_member.token, world.service_user_id, world.ingest_role_id
    )

    result = await api.execute(DISABLE_USER, {"id": world.owner.user_id}, token=admin.token)

    assert errors_of(result, "disableUser") == []
    entry = await token_entry(engine, token_id)
    assert entry.revoked_at is not None
    assert entry.revoked_by_id == admin.user_id
    assert (await last_audit_event(engine, "disableUser")).details["revokedServiceUserTokens"] == 1
    await api.execute(ENABLE_USER, {"id": world.owner.user_id}, token=admin.token)
    await assert_rejected(api, as_service_user(token), "was revoked")
    await assert_accepted(api, as_service_user(other_token))


async def test_global_sign_out_revokes_own_tokens(api, engine, world):
    token, token_id = await assume_for_id(
        api, world.owner.token, world.service_user_id, world.ingest_role_id
    )
    other_token = await assumed_token(
        api, world.tag_member.token, world.service_user_id, world.ingest_role_id
    )

    result = await api.execute(GLOBAL_SIGN_OUT, {"id": None}, token=world.owner.token)

    assert errors_of(result, "globalSignOut") == []
    entry = await token_entry(engine, token_id)
    assert entry.revoked_by_id == world.owner.user_id
    details = (await last_audit_event(engine, "globalSignOut")).details
    assert details["revokedServiceUserTokens"] == 1
    await assert_rejected(api, as_service_user(token), "was revoked")
    await assert_accepted(api, as_service_user(other_token))


async def test_global_sign_out_by_manager_revokes_tokens(api, admin, engine, world):
    token, token_id = await assume_for_id(
        api, world.owner.token, world.service_user_id, world.ingest_role_id
    )

    result = await api.execute(GLOBAL_SIGN_OUT, {"id": world.owner.user_id}, token=admin.token)

    assert errors_of(result, "globalSignOut") == []
    assert (await token_entry(engine, token_id)).revoked_by_id == admin.user_id
    await assert_rejected(api, as_service_user(token), "was revoked")


async def test_global_sign_out_by_stranger_revokes_nothing(api, engine, world):
    await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)
    before = await snapshot(engine)

    result = await api.execute(
        GLOBAL_SIGN_OUT, {"id": world.owner.user_id}, token=world.stranger.token
    )

    assert result.data["globalSignOut"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


async def test_unshare_revokes_tokens_of_former_owner(api, admin, engine, world):
    token, token_id = await assume_for_id(
        api, world.owner.token, world.service_user_id, world.ingest_role_id
    )
    other_token = await assumed_token(
        api, world.tag_member.token, world.service_user_id, world.ingest_role_id
    )
    variables = {"serviceUserId": world.service_user_id, "userId": world.owner.user_id}

    result = await api.execute(UNSHARE_SERVICE_USER, variables, token=admin.token)

    assert errors_of(result, "unshareServiceUser") == []
    assert (await token_entry(engine, token_id)).revoked_by_id == admin.user_id
    details = (await last_audit_event(engine, "unshareServiceUser")).details
    assert details["revokedServiceUserTokens"] == 1
    reshared = await api.execute(SHARE_SERVICE_USER, variables, token=admin.token)
    assert errors_of(reshared, "shareServiceUser") == []
    await assert_rejected(api, as_service_user(token), "was revoked")
    await assert_accepted(api, as_service_user(other_token))


async def test_unshare_keeps_tokens_backed_by_tag(api, admin, engine, world):
    # alice also reaches etl-bot through team=data, so losing her direct share changes nothing.
    await add_tag_member(engine, world.tag_id, world.owner.user_id)
    token = await assumed_token(api, world.owner.token, world.service_user_id, world.ingest_role_id)

    result = await api.execute(
        UNSHARE_SERVICE_USER,
        {"serviceUserId": world.service_user_id, "userId": world.owner.user_id},
        token=admin.token,
    )

    assert errors_of(result, "unshareServiceUser") == []
    details = (await last_audit_event(engine, "unshareServiceUser")).details
    assert details["revokedServiceUserTokens"] == 0
    await assert_accepted(api, as_service_user(token))


async def test_remove_tag_member_revokes_tokens(api, admin, engine, world):
    token, token_id = await assume_for_id(
        api, world.tag_member.token, world.service_user_id, world.ingest_role_id
    )
    other_token = await assumed_token(
        api, world.owner.token, world.service_user_id, world.ingest_role_id
    )
    variables = {"tagId": world.tag_id, "userId": world.tag_member.user_id}

    result = await api.execute(REMOVE_TAG_MEMBER, variables, token=admin.token)

    assert errors_of(result, "removeTagMember") == []
    assert (await token_entry(engine, token_id)).revoked_at is not None
    details = (await last_audit_event(engine, "removeTagMember")).details
    assert details["revokedServiceUserTokens"] == 1
    readded = await api.execute(ADD_TAG_MEMBER, variables, token=admin.token)
    assert errors_of(readded, "addTagMember") == []
    await assert_rejected(api, as_service_user(token), "was revoked")
    await assert_accepted(api, as_service_user(other_token))


async def test_detach_super_admin_revokes_tokens(api, admin, engine, world):
    # sam reaches etl-bot only through SystemRole-SuperAdmin.
    sam = await create_person(engine, "sam")
    await attach_role(engine, sam.user_id, SUPER_ADMIN_ROLE_ID)
    variables = {
        "input": {
            "serviceUserId": world.service_user_id,
            "roleId": world.ingest_role_id,
            "expiresInMinutes": 30,
        }
    }
    assumed = await api.execute(
        ASSUME, variables, token=sam.token, headers={"role_id": SUPER_ADMIN_ROLE_ID}
    )
    payload = assumed.data["assumeServiceUser"]
    assert payload["errors"] == [], payload
    roles = {"userId": sam.user_id, "roleId": SUPER_ADMIN_ROLE_ID}

    result = await api.execute(DETACH_ROLE, roles, token=admin.token)

    assert errors_of(result, "detachRole") == []
    assert (await token_entry(engine, payload["tokenId"])).revoked_at is not None
    details = (await last_audit_event(engine, "detachRole")).details
    assert details["revokedServiceUserTokens"] == 1
    reattached = await api.execute(ATTACH_ROLE, roles, token=admin.token)
    assert errors_of(reattached, "attachRole") == []
    await assert_rejected(api, as_service_user(payload["token"]), "was revoked")


async def test_failed_unshare_revokes_nothing(api, engine, world):
    await assumed_token(api, world.tag_member.token, world.service_user_id, world.ingest_role_id)
    before = await snapshot(engine)

    # carol has no Owner access, so she cannot take alice's share away.
    result = await api.execute(
        UNSHARE_SERVICE_USER,
        {"serviceUserId": world.service_user_id, "userId": world.owner.user_id},
        token=world.stranger.token,
    )

    assert result.data["unshareServiceUser"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


# Sign-in audit events name an actor only when the sign-in succeeded.


async def test_sign_in_disabled_user_audited_without_actor(api, admin, engine, world):
    await api.execute(DISABLE_USER, {"id": world.owner.user_id}, token=admin.token)

    result = await api.execute(
        SIGN_IN, {"username": world.owner.username, "password": world.owner.password}
    )

    assert errors_of(result, "signIn") == [("FORBIDDEN", ["username"])]
    event = await last_audit_event(engine, "signIn")
    assert event.outcome == "FAILURE"
    assert event.actor_id is None
    assert event.actor_username is None
    assert event.target_id == world.owner.user_id


async def test_sign_in_success_audited_with_actor(api, engine, world):
    result = await api.execute(
        SIGN_IN, {"username": world.owner.username, "password": world.owner.password}
    )

    assert errors_of(result, "signIn") == []
    event = await last_audit_event(engine, "signIn")
    assert event.outcome == "SUCCESS"
    assert event.actor_id == world.owner.user_id
    assert event.target_id == world.owner.user_id
