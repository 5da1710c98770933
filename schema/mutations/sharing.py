"""Mutations that share service users with regular users and tags, and take shares away."""

import strawberry
from strawberry.types import Info

from db import tables
from resolvers import sharing
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.shares import AccessType, Share
from schema.types.users import User


@strawberry.input(description="Name one grantee: `userId` (a regular user) or `tagId`.")
class ShareServiceUserInput:
    service_user_id: strawberry.ID
    user_id: strawberry.ID | None = None
    tag_id: strawberry.ID | None = None
    access_type: AccessType = strawberry.field(
        default=tables.AccessType.OWNER, description="Service users accept OWNER only."
    )


@strawberry.input(description="Name the grantee whose share goes: `userId` or `tagId`.")
class UnshareServiceUserInput:
    service_user_id: strawberry.ID
    user_id: strawberry.ID | None = None
    tag_id: strawberry.ID | None = None


@strawberry.type
class ShareServiceUserPayload:
    service_user: User | None
    share: Share | None
    errors: list[UserError]


@strawberry.type
class UnshareServiceUserPayload:
    service_user: User | None
    errors: list[UserError]


@strawberry.type
class SharingMutations:
    @strawberry.mutation(
        description="Give a regular user or a tag Owner access to a service user; needs Owner "
        "access and a person as caller."
    )
    async def share_service_user(
        self, info: Info, input: ShareServiceUserInput
    ) -> ShareServiceUserPayload:
        ctx = info.context
        result, errors = await run_mutation(
            ctx,
            "shareServiceUser",
            lambda note: sharing.share_service_user(
                ctx,
                note,
                service_user_id=input.service_user_id,
                user_id=input.user_id,
                tag_id=input.tag_id,
                access_type=input.access_type,
            ),
        )
        if result is None:
            return ShareServiceUserPayload(
                service_user=None, share=None, errors=user_errors(errors)
            )
        service_user, share = result
        return ShareServiceUserPayload(
            service_user=User.from_row(service_user), share=Share.from_row(share), errors=[]
        )

    @strawberry.mutation(
        description="Take a regular user's or a tag's access to a service user away; the last "
        "OWNER share stays."
    )
    async def unshare_service_user(
        self, info: Info, input: UnshareServiceUserInput
    ) -> UnshareServiceUserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "unshareServiceUser",
            lambda note: sharing.unshare_service_user(
                ctx,
                note,
                service_user_id=input.service_user_id,
                user_id=input.user_id,
                tag_id=input.tag_id,
            ),
        )
        return UnshareServiceUserPayload(
            service_user=User.from_row(row) if row else None, errors=user_errors(errors)
        )
