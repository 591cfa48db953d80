"""Account scope and roles: another account's id answers 404, other roles 403."""

import pytest
from sqlalchemy import select

from extensions import db
from telephony.models import Account, Line


def _line_of(app, code):
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == code))
        return db.session.scalar(select(Line.id).where(Line.account_id == account.id))


def test_another_accounts_line_answers_404(app, signed_in):
    fr_line = _line_of(app, "vt10001-f")
    be_line = _line_of(app, "vt20002-b")
    client = signed_in("be")
    assert client.get(f"/lines/{be_line}").status_code == 200
    response = client.get(f"/lines/{fr_line}")
    assert response.status_code == 404
    assert "+33" not in response.get_data(as_text=True)


def test_a_line_that_does_not_exist_answers_404(signed_in):
    assert signed_in("fr").get("/lines/999999").status_code == 404


@pytest.mark.parametrize("path", ["/lines/", "/lines/1", "/agent/", "/translations/"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("fr", "/agent/", 403),
        ("fr", "/translations/", 403),
        ("agent", "/translations/", 403),
        # An agent reaches a customer's pages only after opening the account (agent console).
        ("agent", "/lines/", 303),
        ("translator", "/agent/", 403),
        ("translator", "/lines/", 403),
        ("agent", "/agent/", 200),
        ("translator", "/translations/", 200),
    ],
)
def test_roles(signed_in, who, path, status):
    assert signed_in(who).get(path).status_code == status


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("fr", "/lines/"),
        ("be", "/lines/"),
        ("ch", "/lines/"),
        ("agent", "/agent/"),
        ("translator", "/translations/"),
    ],
)
def test_every_demo_user_signs_in_to_their_home(signed_in, who, home):
    client = signed_in(who)
    response = client.get("/")
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200
