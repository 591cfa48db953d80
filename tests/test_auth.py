import os
import uuid

import pytest

from tests.conftest import csrf_from


def test_sign_in_page_has_the_fixed_labels(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert ">Email</label>" in html
    assert ">Password</label>" in html
    assert ">Sign in</button>" in html  # a <button>: its text wraps (WCAG 1.4.12)


def test_sign_in_redirects_with_303_to_the_dashboard(client, auth):
    response = auth.login("demo-fr@example.com")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 302  # / → role home
    assert client.get("/lines/").status_code == 200


def test_same_answer_for_unknown_email_and_wrong_password(client, auth):
    wrong = auth.login("demo-fr@example.com", "not-the-password")
    unknown = auth.login("nobody@example.com", "demo")
    assert wrong.status_code == unknown.status_code == 422
    wrong_text = wrong.get_data(as_text=True)
    unknown_text = unknown.get_data(as_text=True)
    assert "Wrong e-mail address or password." in wrong_text
    assert "Wrong e-mail address or password." in unknown_text
    assert "nobody@example.com" in unknown_text  # the typed e-mail is kept, escaped


def test_empty_fields_get_messages_beside_them(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "", "password": "", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and "Enter your e-mail address." in html
    assert 'id="password-error"' in html
    assert 'id="error-summary"' in html


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": "demo-fr@example.com", "password": "demo"})
    assert response.status_code == 400
    assert client.get("/lines/").status_code == 302  # not signed in


def test_sign_out_is_a_post_with_csrf(client, auth):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/lines/").status_code == 200
    assert auth.logout().status_code == 303
    assert client.get("/lines/").status_code == 302


def test_next_parameter_only_allows_local_paths(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for target, expected in [
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/lines/2", "/lines/2"),
    ]:
        response = client.post(
            f"/login?next={target}",
            data={"email": "demo-fr@example.com", "password": "demo", "csrf_token": token},
        )
        assert response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/lines/").text)})
        token = csrf_from(client.get("/login").get_data(as_text=True))


def test_session_cookie_is_httponly_and_samesite(client, auth):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_login_is_rate_limited(app_factory, storage):
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
    if storage == "redis":
        if not os.environ.get("TEST_REDIS_URL"):
            pytest.skip("TEST_REDIS_URL not set (CI sets it)")
        settings.update(
            RATELIMIT_STORAGE_URI=os.environ["TEST_REDIS_URL"],
            RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        )
    app = app_factory(**settings)
    from extensions import db

    with app.app_context():
        db.create_all()
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [
        client.post(
            "/login", data={"email": "x@example.com", "password": "y", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    assert "Too many attempts" in client.post("/login?lang=en", data={"csrf_token": token}).text


def test_the_sign_in_page_is_made_once_and_each_visitor_gets_a_token_of_their_own(app):
    """To visitors without a session the page is the same but for its CSRF token: it is
    rendered once, and each gets their own token, which signs them in and no one else."""
    from flask import template_rendered

    first, second = app.test_client(), app.test_client()
    rendered = []
    template_rendered.connect(lambda *_a, **_k: rendered.append(1), app, weak=False)
    pages, renders = [], []
    for client in (first, second, first):
        rendered.clear()
        pages.append(client.get("/login?next=/lines/"))
        renders.append(len(rendered))
    # Made for the first visitor, not again for the second; the first, now with a
    # session, gets it made for them.
    assert renders[0] > 0 and renders[1] == 0 and renders[2] > 0
    del pages[2]
    tokens = [csrf_from(page.text) for page in pages]
    assert tokens[0] != tokens[1]
    assert pages[0].text.replace(tokens[0], "") == pages[1].text.replace(tokens[1], "")
    assert all("Set-Cookie" in page.headers for page in pages)
    assert all(page.headers["Cache-Control"] == "no-store" for page in pages)
    form = {"email": "demo-fr@example.com", "password": "demo"}
    # The other visitor's token does not sign this one in; their own does.
    assert first.post("/login", data=dict(form, csrf_token=tokens[1])).status_code in (400, 422)
    signed_in = second.post("/login?next=/lines/", data=dict(form, csrf_token=tokens[1]))
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/lines/"
    # A visitor with a session gets it made for them: a message the session holds shows.
    third = app.test_client()
    third.get("/lines/")  # "Please sign in to see this page." waits in the session
    assert "Please sign in" in third.get("/login").text
