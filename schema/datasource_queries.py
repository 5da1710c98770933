"""Root queries for datasources."""

import strawberry
from strawberry.types import Info

from resolvers import datasources
from resolvers.pagination import DEFAULT_PAGE_SIZE
from schema.connection import Connection
from schema.types.datasources import Datasource


@strawberry.type
class DatasourceQueries:
    @strawberry.field(
        description="Datasources by name: all for super admins, else those shared with the "
        "caller directly or through a tag."
    )
    async def datasources(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Datasource]:
        page, total = await datasources.list_datasources(info.context, first, after)
        return Connection.from_page(page, total, Datasource.from_row)

    @strawberry.field(description="One datasource the caller may see; NOT_FOUND otherwise.")
    async def datasource(self, info: Info, datasource_id: strawberry.ID) -> Datasource:
        return Datasource.from_row(await datasources.find_datasource(info.context, datasource_id))
