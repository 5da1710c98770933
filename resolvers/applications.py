"""Vertical applications (BI, MDM): launched by people whose active role grants them."""

import enum
from dataclasses import dataclass

from auth.identity import Identity
from db.tables import Permission
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext


class Application(enum.StrEnum):
    """Vertical applications of the platform."""

    BI = "BI"
    MDM = "MDM"


APPLICATION_PERMISSIONS = {
    Application.BI: Permission.APP_BI,
    Application.MDM: Permission.APP_MDM,
}


@dataclass(frozen=True)
class ApplicationLaunch:
    """The path that opens an application, and the identity it opens as."""

    application: Application
    launch_path: str
    identity: Identity


def launch_path(application: Application) -> str:
    """Return the path, relative to the platform's web origin, that opens an application."""
    return f"/apps/{application.value.lower()}/"


async def launch_application(
    ctx: RequestContext, note: AuditNote, application: Application
) -> ApplicationLaunch:
    """Check that the caller may open an application and return where to open it."""
    note.target("APPLICATION", application.value)
    identity = policy.require_application_access(
        ctx.identity, APPLICATION_PERMISSIONS[application], application.value
    )
    return ApplicationLaunch(application, launch_path(application), identity)
