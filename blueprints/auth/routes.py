"""Signing in and out. Sign-in limits count failed attempts only, per e-mail address and per
client address; a signed-in session lives on the server (server_sessions.py)."""

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

import attempts
import idle
from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, LogoutForm
from caching import token_swapped_page
from extensions import db
from htmx import render
from security import safe_local_target
from telephony import accounts


def _count_attempt() -> attempts.Counted | None:
    """Count this sign-in attempt, per e-mail address tried and per client address; None
    when a limit is exceeded."""
    config = current_app.config
    # request.remote_addr is the proxy's client once PROXY_FIX trusts the hop (config.py).
    email = accounts.normalize_email(request.form.get("email", ""))[:254]
    return attempts.count(
        [
            (config["LOGIN_ACCOUNT_RATE_LIMIT"], f"login-email:{email}"),
            (config["LOGIN_RATE_LIMIT"], f"login-address:{request.remote_addr or ''}"),
        ]
    )


@bp.route("/login", methods=["GET", "POST"])
@token_swapped_page
def login():
    target = safe_local_target(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.index"), 303)
    form = LoginForm()
    counted = _count_attempt() if request.method == "POST" else []
    if counted is None:
        abort(429)
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            attempts.give_back(counted)
            locale = session.get("locale")
            resume_point = session.get(idle.RESUME)
            session.clear()
            session.rotate()  # a new session id on sign-in: no fixation
            if locale:
                session["locale"] = locale
            login_user(user)
            session["_epoch"] = user.session_epoch
            idle.start()
            if user.locale and not locale:
                session["locale"] = user.locale
            back = idle.resume(user, resume_point)
            return redirect(target or back or url_for("main.index"), 303)
        # One answer for an unknown e-mail and a wrong password.
        form.form_errors.append(_("Wrong e-mail address or password."))
    return render("auth/login.html", form=form, status=422 if form.is_submitted() else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        idle.stop_acting()
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
        idle.stop_acting()
        accounts.end_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.get("/session/time-left")
def time_left():
    """How long an agent's session has left, in the X-Idle-Seconds-Left header, without
    counting as activity: app.js asks before it warns or says the session ended, since
    another tab may have kept it alive."""
    return "", 204


@bp.post("/session/keep-alive")
@login_required
def keep_alive():
    """ "Stay signed in": an agent's idle time starts again (idle.py). app.js posts it from
    the warning dialog and gets 204; without JavaScript the footer's button comes back to
    the page."""
    if LogoutForm().validate_on_submit():
        idle.keep_alive()
    if request.headers.get("HX-Request") == "true":
        return "", 204
    return redirect(safe_local_target(request.form.get("next")) or url_for("main.index"), 303)
