"""Signing in and out, and the credentials a request may carry."""

from sqlalchemy import select

from db.tables import AuditEvent
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, USER_PASSWORD
from tests.support.api import SIGN_IN
from tests.support.databases import snapshot

ME = "{ me { user { username isServiceUser } activeRole { name } credential } }"
SIGN_OUT = "mutation { signOut { signedOutSessions errors { code message } } }"


async def test_sign_in_returns_session_token(api, admin):
    result = await api.execute(ME, token=admin.token)

    me = result.data["me"]
    assert me["user"] == {"username": ADMIN_USERNAME, "isServiceUser": False}
    assert me["activeRole"]["name"] == "SystemRole-SuperAdmin"
    assert me["credential"] == "SESSION"


async def test_sign_in_username_ignores_case(api, admin):
    result = await api.execute(
        SIGN_IN, {"username": ADMIN_USERNAME.upper(), "password": ADMIN_PASSWORD}
    )

    assert result.data["signIn"]["errors"] == []


async def test_sign_in_wrong_password_changes_nothing(api, admin, engine):
    before = await snapshot(engine)

    result = await api.execute(SIGN_IN, {"username": ADMIN_USERNAME, "password": "wrong-password"})

    payload = result.data["signIn"]
    assert payload["token"] is None
    assert payload["errors"][0]["code"] == "UNAUTHENTICATED"
    assert payload["errors"][0]["message"] == "Invalid username or password."
    assert await snapshot(engine) == before


async def test_sign_in_unknown_user_same_message(api, admin):
    result = await api.execute(SIGN_IN, {"username": "nobody-here", "password": "whatever-else"})

    error = result.data["signIn"]["errors"][0]
    assert error["code"] == "UNAUTHENTICATED"
    assert error["message"] == "Invalid username or password."


async def test_sign_in_throttled_after_repeated_failures(api, admin, settings):
    for _ in range(settings.sign_in_max_failures_per_account):
        await api.execute(SIGN_IN, {"username": ADMIN_USERNAME, "password": "wrong-password"})

    result = await api.execute(SIGN_IN, {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})

    payload = result.data["signIn"]
    assert payload["token"] is None
    assert payload["errors"][0]["code"] == "RATE_LIMITED"


async def test_sign_in_throttled_per_address(api, admin, make_user, app):
    app.state.app_state.settings.sign_in_max_failures_per_address = 3
    for name in ("alpha", "bravo", "charlie"):
        await api.execute(SIGN_IN, {"username": name, "password": "wrong-password"})

    result = await api.execute(SIGN_IN, {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})

    assert result.data["signIn"]["errors"][0]["code"] == "RATE_LIMITED"


async def test_sign_in_disabled_user_rejected(api, admin, make_user):
    user = await make_user("dora")
    await api.execute(
        "mutation($id: ID!) { disableUser(input: {userId: $id}) { errors { code } } }",
        {"id": user.user_id},
        token=admin.token,
    )

    result = await api.execute(SIGN_IN, {"username": "dora", "password": USER_PASSWORD})

    assert result.data["signIn"]["errors"][0]["code"] == "FORBIDDEN"


async def test_sign_out_ends_session(api, admin):
    result = await api.execute(SIGN_OUT, token=admin.token)
    assert result.data["signOut"] == {"signedOutSessions": 1, "errors": []}

    after = await api.execute(ME, token=admin.token)

    assert after.status == 401
    assert after.error_codes == ["UNAUTHENTICATED"]
    assert "signed out" in after.body["errors"][0]["message"]
    assert after.headers["www-authenticate"].startswith("Bearer")


async def test_global_sign_out_ends_every_session(api, admin):
    second = await api.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)

    result = await api.execute(
        "mutation { globalSignOut { signedOutSessions errors { code } } }", token=admin.token
    )

    assert result.data["globalSignOut"]["signedOutSessions"] == 2
    assert (await api.execute(ME, token=second)).status == 401


async def test_missing_credential_is_unauthenticated(api, admin):
    result = await api.execute(ME)

    assert result.status == 200
    assert result.error_codes == ["UNAUTHENTICATED"]


async def test_malformed_credential_is_401(api, admin):
    result = await api.execute(ME, token="garbage")

    assert result.status == 401
    assert result.error_codes == ["UNAUTHENTICATED"]
    assert "no recognised credential" in result.body["errors"][0]["message"]


async def test_sign_in_audit_actor_only_on_success(api, admin, engine):
    # A wrong password names the targeted user, but not as the actor: anyone can send it.
    await api.execute(SIGN_IN, {"username": ADMIN_USERNAME, "password": "wrong-password"})

    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(
                    AuditEvent.actor_id,
                    AuditEvent.target_id,
                    AuditEvent.outcome,
                    AuditEvent.error_code,
                )
                .where(AuditEvent.action == "signIn")
                .order_by(AuditEvent.created_at)
            )
        ).all()

    assert [tuple(row) for row in rows] == [
        (admin.user_id, admin.user_id, "SUCCESS", None),
        (None, admin.user_id, "FAILURE", "UNAUTHENTICATED"),
    ]
