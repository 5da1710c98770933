"""Mutations that create tags and manage who has access to them."""

import strawberry
from strawberry.types import Info

from resolvers import tags
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.tags import Tag


@strawberry.input
class CreateTagInput:
    tag_key: str
    tag_value: str
    description: str | None = None


@strawberry.input
class TagMemberInput:
    tag_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.type
class TagPayload:
    tag: Tag | None
    errors: list[UserError]


def _payload(row, errors) -> TagPayload:
    return TagPayload(tag=Tag.from_row(row) if row else None, errors=user_errors(errors))


@strawberry.type
class TagMutations:
    @strawberry.mutation(description="Create a tag; needs TAGS_MANAGE. The creator owns it.")
    async def create_tag(self, info: Info, input: CreateTagInput) -> TagPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "createTag",
            lambda note: tags.create_tag(
                ctx,
                note,
                tag_key=input.tag_key,
                tag_value=input.tag_value,
                description=input.description,
            ),
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Give a regular user access to a tag.")
    async def add_tag_member(self, info: Info, input: TagMemberInput) -> TagPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "addTagMember",
            lambda note: tags.add_tag_member(ctx, note, input.tag_id, input.user_id),
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Take a user's access to a tag away.")
    async def remove_tag_member(self, info: Info, input: TagMemberInput) -> TagPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "removeTagMember",
            lambda note: tags.remove_tag_member(ctx, note, input.tag_id, input.user_id),
        )
        return _payload(row, errors)
