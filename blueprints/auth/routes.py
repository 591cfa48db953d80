from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, LogoutForm
from extensions import limiter
from htmx import render
from telephony import accounts


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no `//`) may follow sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            locale = session.get("locale")
            session.clear()  # a fresh session on sign-in
            if locale:
                session["locale"] = locale
            login_user(user)
            if user.locale and not locale:
                session["locale"] = user.locale
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"), 303)
        # One answer for an unknown e-mail and a wrong password.
        form.form_errors.append(_("Wrong e-mail address or password."))
    return render("auth/login.html", form=form, status=200 if request.method == "GET" else 422)


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)
