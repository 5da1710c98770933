"""Mutation that launches a vertical application (BI, MDM)."""

import strawberry
from strawberry.types import Info

from resolvers import applications
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.roles import Role

Application = strawberry.enum(
    applications.Application, name="Application", description="A vertical application."
)


@strawberry.input
class LaunchApplicationInput:
    application: Application


@strawberry.type(description="Where to open an application, and the role it opens under.")
class ApplicationLaunch:
    application: Application
    launch_path: str = strawberry.field(
        description="Path on the platform's web origin that opens the application."
    )
    role: Role = strawberry.field(description="The active role the application opens under.")


@strawberry.type
class LaunchApplicationPayload:
    launch: ApplicationLaunch | None
    errors: list[UserError]


@strawberry.type
class ApplicationMutations:
    @strawberry.mutation(
        description="Open a vertical application; needs APP_BI or APP_MDM on the active role. "
        "Service users are always denied."
    )
    async def launch_application(
        self, info: Info, input: LaunchApplicationInput
    ) -> LaunchApplicationPayload:
        ctx = info.context
        launch, errors = await run_mutation(
            ctx,
            "launchApplication",
            lambda note: applications.launch_application(ctx, note, input.application),
        )
        if launch is None:
            return LaunchApplicationPayload(launch=None, errors=user_errors(errors))
        return LaunchApplicationPayload(
            launch=ApplicationLaunch(
                application=launch.application,
                launch_path=launch.launch_path,
                role=Role.from_row(launch.identity.role),
            ),
            errors=[],
        )
