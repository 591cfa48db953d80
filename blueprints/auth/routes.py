"""Signing in and out. Sign-in limits count failed attempts only, per e-mail address and per
client address; a signed-in session lives on the server (server_sessions.py)."""

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, LogoutForm
from extensions import db, limiter
from htmx import render
from security import STAFF, safe_local_target
from telephony import accounts


def _failed(response) -> bool:
    """A sign-in that did not succeed counts against the limits; a success never does."""
    return request.method == "POST" and response.status_code != 303


def _attempted_email() -> str:
    """The limits' key per account: the e-mail address tried, as the site compares it."""
    return "login-email:" + accounts.normalize_email(request.form.get("email", ""))[:254]


def _client_address() -> str:
    # request.remote_addr is the proxy's client once PROXY_FIX trusts the hop (config.py).
    return "login-address:" + (request.remote_addr or "")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_client_address,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=_attempted_email,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    target = safe_local_target(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.index"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            locale = session.get("locale")
            session.clear()
            session.rotate()  # a new session id on sign-in: no fixation
            if locale:
                session["locale"] = locale
            login_user(user)
            session["_epoch"] = user.session_epoch
            if user.role in STAFF:
                session["seen_at"] = int(time.time())
            if user.locale and not locale:
                session["locale"] = user.locale
            return redirect(target or url_for("main.index"), 303)
        # One answer for an unknown e-mail and a wrong password.
        form.form_errors.append(_("Wrong e-mail address or password."))
    return render("auth/login.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()  # the server record goes with it (server_sessions.py)
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of the user: on this device and on any other."""
    form = LogoutForm()
    if form.validate_on_submit():
        accounts.end_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"), 303)
