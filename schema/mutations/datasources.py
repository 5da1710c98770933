"""Mutations that create datasources and share them."""

import strawberry
from strawberry.types import Info

from resolvers import datasources
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.datasources import Datasource
from schema.types.shares import AccessType, Share


@strawberry.input
class CreateDatasourceInput:
    name: str
    description: str | None = None


@strawberry.input(description="Name one grantee: `userId` (a regular user) or `tagId`.")
class ShareDatasourceInput:
    datasource_id: strawberry.ID
    access_type: AccessType
    user_id: strawberry.ID | None = None
    tag_id: strawberry.ID | None = None


@strawberry.input(description="Name the grantee whose share goes: `userId` or `tagId`.")
class UnshareDatasourceInput:
    datasource_id: strawberry.ID
    user_id: strawberry.ID | None = None
    tag_id: strawberry.ID | None = None


@strawberry.type
class DatasourcePayload:
    datasource: Datasource | None
    errors: list[UserError]


@strawberry.type
class ShareDatasourcePayload:
    datasource: Datasource | None
    share: Share | None
    errors: list[UserError]


def _payload(row, errors) -> DatasourcePayload:
    return DatasourcePayload(
        datasource=Datasource.from_row(row) if row else None, errors=user_errors(errors)
    )


@strawberry.type
class DatasourceMutations:
    @strawberry.mutation(
        description="Create a datasource; needs DATASOURCES_CREATE. The calling identity owns it."
    )
    async def create_datasource(
        self, info: Info, input: CreateDatasourceInput
    ) -> DatasourcePayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "createDatasource",
            lambda note: datasources.create_datasource(
                ctx, note, name=input.name, description=input.description
            ),
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="Share a datasource with a regular user or a tag, or change the access type "
        "of that share; needs Owner access."
    )
    async def share_datasource(
        self, info: Info, input: ShareDatasourceInput
    ) -> ShareDatasourcePayload:
        ctx = info.context
        result, errors = await run_mutation(
            ctx,
            "shareDatasource",
            lambda note: datasources.share_datasource(
                ctx,
                note,
                datasource_id=input.datasource_id,
                user_id=input.user_id,
                tag_id=input.tag_id,
                access_type=input.access_type,
            ),
        )
        if result is None:
            return ShareDatasourcePayload(datasource=None, share=None, errors=user_errors(errors))
        datasource, share = result
        return ShareDatasourcePayload(
            datasource=Datasource.from_row(datasource), share=Share.from_row(share), errors=[]
        )

    @strawberry.mutation(
        description="Take a grantee's access to a datasource away; needs Owner access. The last "
        "OWNER share stays."
    )
    async def unshare_datasource(
        self, info: Info, input: UnshareDatasourceInput
    ) -> DatasourcePayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "unshareDatasource",
            lambda note: datasources.unshare_datasource(
                ctx,
                note,
                datasource_id=input.datasource_id,
                user_id=input.user_id,
                tag_id=input.tag_id,
            ),
        )
        return _payload(row, errors)
