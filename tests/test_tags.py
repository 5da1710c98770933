"""Creating tags and managing who has access to them."""

import pytest

from db.tables.roles import DEFAULT_USERS_ROLE_ID
from tests.support.accounts import grant_permissions, insert_service_user
from tests.support.databases import snapshot

CREATE_TAG = """
mutation CreateTag($input: CreateTagInput!) {
  createTag(input: $input) {
    tag {
      tagId tagKey tagValue description
      shares { accessType grantee { ... on User { username } } }
    }
    errors { code message field }
  }
}
"""

ADD_TAG_MEMBER = """
mutation AddTagMember($input: TagMemberInput!) {
  addTagMember(input: $input) {
    tag { tagId members { totalCount edges { node { username } } } }
    errors { code message field }
  }
}
"""

REMOVE_TAG_MEMBER = """
mutation RemoveTagMember($input: TagMemberInput!) {
  removeTagMember(input: $input) {
    tag { tagId members { totalCount } }
    errors { code message field }
  }
}
"""

TAGS = "{ tags { totalCount edges { node { tagKey tagValue } } } }"

USER_TAGS = "query($id: ID!) { user(userId: $id) { tags { tagKey tagValue } } }"


def tag_input(key: str = "team", value: str = "data", description: str | None = None) -> dict:
    return {"input": {"tagKey": key, "tagValue": value, "description": description}}


def member(tag_id: str, user_id: str) -> dict:
    return {"input": {"tagId": tag_id, "userId": user_id}}


def codes_and_fields(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def create_tag(api, token: str, key: str = "team", value: str = "data") -> str:
    payload = (await api.execute(CREATE_TAG, tag_input(key, value), token=token)).data["createTag"]
    assert payload["errors"] == [], payload
    return payload["tag"]["tagId"]


async def tags_manager(api, admin, make_user, username: str = "tagger"):
    caller = await make_user(username)
    await grant_permissions(api, admin.token, caller.user_id, "Taggers", ["TAGS_MANAGE"])
    return caller


async def test_create_tag_owned_by_creator(api, admin):
    result = await api.execute(CREATE_TAG, tag_input(description="Data team"), token=admin.token)

    payload = result.data["createTag"]
    assert payload["errors"] == []
    assert payload["tag"]["tagKey"] == "team"
    assert payload["tag"]["tagValue"] == "data"
    assert payload["tag"]["description"] == "Data team"
    assert payload["tag"]["shares"] == [
        {"accessType": "OWNER", "grantee": {"username": admin.username}}
    ]


async def test_create_tag_duplicate_conflicts(api, admin, engine):
    await create_tag(api, admin.token)
    before = await snapshot(engine)

    result = await api.execute(CREATE_TAG, tag_input(), token=admin.token)

    payload = result.data["createTag"]
    assert payload["tag"] is None
    assert codes_and_fields(payload) == [("CONFLICT", ["tagKey"])]
    assert "team=data" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_create_tag_same_key_other_value_allowed(api, admin):
    await create_tag(api, admin.token, "team", "data")

    result = await api.execute(CREATE_TAG, tag_input("team", "ops"), token=admin.token)

    assert result.data["createTag"]["errors"] == []


@pytest.mark.parametrize(
    "key,value,field",
    [
        ("", "data", "tagKey"),
        ("  ", "data", "tagKey"),
        ("team", "", "tagValue"),
        ("k" * 129, "data", "tagKey"),
        ("team", "v" * 257, "tagValue"),
        ("te\x07am", "data", "tagKey"),
    ],
)
async def test_create_tag_invalid_input_rejected(api, admin, engine, key, value, field):
    before = await snapshot(engine)

    result = await api.execute(CREATE_TAG, tag_input(key, value), token=admin.token)

    assert codes_and_fields(result.data["createTag"]) == [("BAD_USER_INPUT", [field])]
    assert await snapshot(engine) == before


async def test_create_tag_without_tags_manage_forbidden(api, make_user, engine):
    caller = await make_user("plain")
    before = await snapshot(engine)

    result = await api.execute(CREATE_TAG, tag_input(), token=caller.token)

    payload = result.data["createTag"]
    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert "TAGS_MANAGE" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_create_tag_with_tags_manage_allowed(api, admin, make_user):
    caller = await tags_manager(api, admin, make_user)

    result = await api.execute(CREATE_TAG, tag_input(), token=caller.token)

    payload = result.data["createTag"]
    assert payload["errors"] == []
    assert payload["tag"]["shares"][0]["grantee"] == {"username": "tagger"}


async def test_tags_query_orders_by_key_and_value(api, admin):
    await create_tag(api, admin.token, "team", "ops")
    await create_tag(api, admin.token, "env", "prod")
    await create_tag(api, admin.token, "team", "data")

    result = await api.execute(TAGS, token=admin.token)

    tags = result.data["tags"]
    assert tags["totalCount"] == 3
    assert [(e["node"]["tagKey"], e["node"]["tagValue"]) for e in tags["edges"]] == [
        ("env", "prod"),
        ("team", "data"),
        ("team", "ops"),
    ]


async def test_tag_query_unknown_id_not_found(api, admin):
    result = await api.execute(
        "query($id: ID!) { tag(tagId: $id) { tagKey } }", {"id": "no-such-tag"}, token=admin.token
    )

    assert result.error_codes == ["NOT_FOUND"]
    assert result.body["errors"][0]["extensions"]["field"] == ["tagId"]


async def test_add_tag_member_gives_access(api, admin, make_user):
    user = await make_user("alice")
    tag_id = await create_tag(api, admin.token)

    result = await api.execute(ADD_TAG_MEMBER, member(tag_id, user.user_id), token=admin.token)

    payload = result.data["addTagMember"]
    assert payload["errors"] == []
    assert payload["tag"]["members"] == {
        "totalCount": 1,
        "edges": [{"node": {"username": "alice"}}],
    }
    tags = await api.execute(USER_TAGS, {"id": user.user_id}, token=user.token)
    assert tags.data["user"]["tags"] == [{"tagKey": "team", "tagValue": "data"}]


async def test_add_tag_member_already_member_conflicts(api, admin, make_user, engine):
    user = await make_user("alice")
    tag_id = await create_tag(api, admin.token)
    await api.execute(ADD_TAG_MEMBER, member(tag_id, user.user_id), token=admin.token)
    before = await snapshot(engine)

    result = await api.execute(ADD_TAG_MEMBER, member(tag_id, user.user_id), token=admin.token)

    payload = result.data["addTagMember"]
    assert codes_and_fields(payload) == [("CONFLICT", ["userId"])]
    assert "alice" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "document,name", [(ADD_TAG_MEMBER, "addTagMember"), (REMOVE_TAG_MEMBER, "removeTagMember")]
)
async def test_tag_member_unknown_ids_not_found(api, admin, make_user, engine, document, name):
    user = await make_user("alice")
    tag_id = await create_tag(api, admin.token)
    before = await snapshot(engine)

    unknown_tag = await api.execute(
        document, member("no-such-tag", user.user_id), token=admin.token
    )
    unknown_user = await api.execute(document, member(tag_id, "no-such-user"), token=admin.token)

    assert codes_and_fields(unknown_tag.data[name]) == [("NOT_FOUND", ["tagId"])]
    assert codes_and_fields(unknown_user.data[name]) == [("NOT_FOUND", ["userId"])]
    assert await snapshot(engine) == before


async def test_add_tag_member_service_user_rejected(api, admin, engine):
    service_user_id = await insert_service_user(engine, "etl-bot")
    tag_id = await create_tag(api, admin.token)
    before = await snapshot(engine)

    result = await api.execute(ADD_TAG_MEMBER, member(tag_id, service_user_id), token=admin.token)

    assert codes_and_fields(result.data["addTagMember"]) == [("BAD_USER_INPUT", ["userId"])]
    assert await snapshot(engine) == before


async def test_add_tag_member_without_access_forbidden(api, admin, make_user, engine):
    caller = await make_user("plain")
    target = await make_user("target")
    tag_id = await create_tag(api, admin.token)
    before = await snapshot(engine)

    result = await api.execute(ADD_TAG_MEMBER, member(tag_id, target.user_id), token=caller.token)

    payload = result.data["addTagMember"]
    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert "team=data" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_add_tag_member_tag_member_without_ownership_forbidden(api, admin, make_user, engine):
    caller = await make_user("member")
    target = await make_user("target")
    tag_id = await create_tag(api, admin.token)
    await api.execute(ADD_TAG_MEMBER, member(tag_id, caller.user_id), token=admin.token)
    before = await snapshot(engine)

    result = await api.execute(ADD_TAG_MEMBER, member(tag_id, target.user_id), token=caller.token)

    assert result.data["addTagMember"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


async def test_add_tag_member_tags_manage_alone_forbidden(api, admin, make_user, engine):
    # TAGS_MANAGE creates tags; members of a tag someone else owns are that owner's choice.
    caller = await tags_manager(api, admin, make_user)
    target = await make_user("target")
    tag_id = await create_tag(api, admin.token)
    before = await snapshot(engine)

    result = await api.execute(ADD_TAG_MEMBER, member(tag_id, target.user_id), token=caller.token)

    payload = result.data["addTagMember"]
    assert codes_and_fields(payload) == [("FORBIDDEN", ["tagId"])]
    assert "TAGS_MANAGE only lets you create tags" in payload["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_add_tag_member_by_owner_allowed(api, admin, make_user):
    owner = await tags_manager(api, admin, make_user, "owner")
    tag_id = await create_tag(api, owner.token)
    target = await make_user("target")
    # The owner acts under SystemRole-DefaultUsers, which lacks TAGS_MANAGE; the OWNER share
    # from creating the tag is what lets it add members.
    headers = {"role_id": DEFAULT_USERS_ROLE_ID}

    result = await api.execute(
        ADD_TAG_MEMBER, member(tag_id, target.user_id), token=owner.token, headers=headers
    )

    assert result.data["addTagMember"]["errors"] == []


async def test_remove_tag_member_takes_access_away(api, admin, make_user):
    user = await make_user("alice")
    tag_id = await create_tag(api, admin.token)
    await api.execute(ADD_TAG_MEMBER, member(tag_id, user.user_id), token=admin.token)

    result = await api.execute(REMOVE_TAG_MEMBER, member(tag_id, user.user_id), token=admin.token)

    payload = result.data["removeTagMember"]
    assert payload["errors"] == []
    assert payload["tag"]["members"] == {"totalCount": 0}
    tags = await api.execute(USER_TAGS, {"id": user.user_id}, token=user.token)
    assert tags.data["user"]["tags"] == []


async def test_remove_tag_member_not_member_not_found(api, admin, make_user, engine):
    user = await make_user("alice")
    tag_id = await create_tag(api, admin.token)
    before = await snapshot(engine)

    result = await api.execute(REMOVE_TAG_MEMBER, member(tag_id, user.user_id), token=admin.token)

    assert codes_and_fields(result.data["removeTagMember"]) == [("NOT_FOUND", ["userId"])]
    assert await snapshot(engine) == before


async def test_remove_tag_member_without_access_forbidden(api, admin, make_user, engine):
    caller = await make_user("plain")
    target = await make_user("target")
    tag_id = await create_tag(api, admin.token)
    await api.execute(ADD_TAG_MEMBER, member(tag_id, target.user_id), token=admin.token)
    before = await snapshot(engine)

    result = await api.execute(
        REMOVE_TAG_MEMBER, member(tag_id, target.user_id), token=caller.token
    )

    assert result.data["removeTagMember"]["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before
