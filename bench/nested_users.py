"""Time the nested `users` query against a real server process on loopback.

Seeds users with roles and tags straight into a fresh database, starts `server.py serve`,
and sends a bounded number of sequential requests. Prints the latency percentiles.

    .venv/bin/python -m bench.nested_users [--users 200] [--requests 200] [--database-url URL]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_to_head
from db.tables import RoleAttachment, Tag, TagMember, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from resolvers.bootstrap import create_super_admin
from tests.support.live_server import live_server

QUERY = """
query Nested($first: Int!) {
  users(first: $first) {
    totalCount
    edges { node { username roles { name } tags { tagKey tagValue } defaultRole { name } } }
  }
}
"""
ADMIN_PASSWORD = "benchmark-admin-password"
# The request loop stops after this many seconds even if requests remain.
MAX_SECONDS = 120


async def seed(database_url: str, user_count: int) -> None:
    """Create the admin and `user_count` users, each with one role and two tags."""
    engine = create_engine(database_url)
    async with create_session_factory(engine)() as session:
        await create_super_admin(session, "bench-admin", None, ADMIN_PASSWORD)
        tags = [Tag(tag_key="team", tag_value=f"team-{i}") for i in range(10)]
        session.add_all(tags)
        await session.flush()
        for index in range(user_count):
            name = f"user-{index:05d}"
            user = User(
                username=name,
                username_key=name,
                email=f"{name}@example.com",
                email_key=f"{name}@example.com",
                default_role_id=DEFAULT_USERS_ROLE_ID,
            )
            session.add(user)
            await session.flush()
            session.add(RoleAttachment(user_id=user.id, role_id=DEFAULT_USERS_ROLE_ID))
            session.add(TagMember(tag_id=tags[index % 10].id, user_id=user.id))
            session.add(TagMember(tag_id=tags[(index + 3) % 10].id, user_id=user.id))
        await session.commit()
    await engine.dispose()


def run(database_url: str | None, user_count: int, request_count: int, page_size: int) -> None:
    """Seed, serve and time the requests; print one summary line."""
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        url = database_url or f"sqlite+aiosqlite:///{work_dir / 'bench.db'}"
        upgrade_to_head(url)
        asyncio.run(seed(url, user_count))
        env = {"DATABASE_URL": url, "DATA_DIR": str(work_dir / "data"), "LOG_LEVEL": "WARNING"}
        with live_server(env, work_dir) as server, httpx.Client(base_url=server.url) as client:
            signed_in = client.post(
                "/graphql",
                json={
                    "query": 'mutation($p:String!){signIn(input:{username:"bench-admin",'
                    "password:$p}){token}}",
                    "variables": {"p": ADMIN_PASSWORD},
                },
            )
            token = signed_in.json()["data"]["signIn"]["token"]
            headers = {"Authorization": token}
            body = {"query": QUERY, "variables": {"first": page_size}}
            timings = []
            deadline = time.monotonic() + MAX_SECONDS
            for _ in range(request_count):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                response = client.post("/graphql", json=body, headers=headers)
                timings.append(time.perf_counter() - started)
                assert "errors" not in response.json(), response.text
    timings.sort()
    backend = url.split(":", 1)[0]
    print(
        f"backend={backend} users={user_count} page={page_size} requests={len(timings)} "
        f"p50={statistics.median(timings) * 1000:.1f}ms "
        f"p95={timings[int(len(timings) * 0.95) - 1] * 1000:.1f}ms "
        f"max={timings[-1] * 1000:.1f}ms"
    )


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="users to seed")
    parser.add_argument("--requests", type=int, default=200, help="requests to send (bounded)")
    parser.add_argument("--page", type=int, default=50, help="`first` of the users query")
    parser.add_argument("--database-url", help="an empty, existing database; default SQLite")
    args = parser.parse_args()
    run(args.database_url, args.users, min(args.requests, 2000), args.page)


if __name__ == "__main__":
    main()
