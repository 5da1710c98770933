"""The Starlette application and the command line.

Commands: serve, migrate, bootstrap, rotate-signing-key, export-schema.
"""

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from auth.service_user_tokens import ServiceUserTokens, open_signing_keys
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_to_head
from rest import users as users_rest
from rest.auth_tokens import create_auth_token
from schema.build import build_schema
from settings import Settings, get_settings
from web.body_guard import BodyGuardMiddleware
from web.body_limit import BodyLimitMiddleware
from web.graphql_endpoint import GraphQLEndpoint
from web.health import healthz, readyz
from web.jwks import jwks_endpoint
from web.logging_setup import configure_logging
from web.metrics import metrics_endpoint
from web.state import AppState

logger = logging.getLogger("server")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the application; the database must already be migrated."""
    settings = settings or get_settings()
    engine = create_engine(settings.resolved_database_url)
    signing_keys = open_signing_keys(settings)
    service_user_tokens = ServiceUserTokens(settings, signing_keys)
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        service_user_tokens=service_user_tokens.authenticate,
        token_issuer=service_user_tokens,
        signing_keys=signing_keys,
    )
    endpoint = GraphQLEndpoint(state, build_schema(settings))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            Route("/.well-known/jwks.json", jwks_endpoint),
            Route("/users/{user_id}/auth-token", create_auth_token, methods=["POST"]),
            *users_rest.ROUTES,
        ],
        middleware=[
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(BodyGuardMiddleware),
        ],
        lifespan=lifespan,
    )
    app.state.app_state = state
    return app


async def _bootstrap(settings: Settings, username: str, email: str | None, password: str | None):
    from resolvers.bootstrap import create_super_admin

    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            return await create_super_admin(session, username, email, password)
    finally:
        await engine.dispose()


async def _has_users(settings: Settings) -> bool:
    from resolvers.bootstrap import has_users

    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            return await has_users(session)
    finally:
        await engine.dispose()


def _print_credentials(username: str, password: str) -> None:
    print(
        f"Created super admin '{username}'. Its password is shown once; store it now:\n"
        f"  {password}",
        flush=True,
    )


def command_serve(args, settings: Settings) -> int:
    """Run the server; on the embedded default, migrate and create `admin` if empty."""
    import uvicorn

    from resolvers.bootstrap import DEFAULT_ADMIN_USERNAME

    if settings.is_embedded:
        upgrade_to_head(settings.resolved_database_url)
        if not asyncio.run(_has_users(settings)):
            result = asyncio.run(_bootstrap(settings, DEFAULT_ADMIN_USERNAME, None, None))
            print("The embedded database was empty, so a first super admin was created.")
            _print_credentials(result.user.username, result.generated_password)
    app = create_app(settings)
    # Forwarded headers are honoured only from the proxies the settings name. By default the
    # client address is the TCP peer, so sign-in throttling cannot be dodged with a header.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    return 0


def command_migrate(_args, settings: Settings) -> int:
    """Apply pending migrations."""
    upgrade_to_head(settings.resolved_database_url)
    print("Database is at the latest migration.")
    return 0


def command_bootstrap(args, settings: Settings) -> int:
    """Create a super admin; reads the password from stdin or generates one."""
    from resolvers.errors import UseCaseError

    upgrade_to_head(settings.resolved_database_url)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        result = asyncio.run(_bootstrap(settings, args.username, args.email, password))
    except UseCaseError as error:
        print(
            f"bootstrap failed: {error}\nChoose another --username or --email, or sign in with "
            "the existing account.",
            file=sys.stderr,
        )
        return 1
    if result.generated_password:
        _print_credentials(result.user.username, result.generated_password)
    else:
        print(f"Created super admin '{result.user.username}' with the password from stdin.")
    return 0


def command_rotate_signing_key(_args, settings: Settings) -> int:
    """Add a signing key; the retired one stays published until its tokens expire."""
    from auth.service_user_tokens import signing_key_store

    store = signing_key_store(settings)
    new_key, retired = store.rotate()
    print(f"New signing key {new_key.kid} in {store.directory} signs from now on.")
    for key in retired:
        until = key.retired_at + store.publication_window
        print(f"Retired key {key.kid}; it stays published until {until.isoformat()}.")
    print("Running servers that share this directory pick the new key up on their next request.")
    return 0


def command_export_schema(args, settings: Settings) -> int:
    """Write the GraphQL schema in SDL to a file or stdout."""
    sdl = str(build_schema(settings)) + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"Wrote {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(prog="server.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="TCP port to listen on")
    serve.set_defaults(handler=command_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=command_migrate)

    bootstrap = commands.add_parser("bootstrap", help="create a super admin")
    bootstrap.add_argument("--username", required=True, help="username of the new super admin")
    bootstrap.add_argument("--email", help="email; default <username>@service-users.invalid")
    bootstrap.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    bootstrap.set_defaults(handler=command_bootstrap)

    rotate = commands.add_parser(
        "rotate-signing-key", help="add a signing key for service-user tokens, retire the old one"
    )
    rotate.set_defaults(handler=command_rotate_signing_key)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", default="-", help="file to write; '-' for stdout")
    export.set_defaults(handler=command_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command of the command line."""
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return args.handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
