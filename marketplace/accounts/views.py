"""Register, log in and out, reset a forgotten password, edit one's profile."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from marketplace.accounts import login_links, services, sessions
from marketplace.accounts.forms import (
    LoginForm,
    LoginLinkRequestForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from marketplace.accounts.tokens import user_for_reset_token
from marketplace.errors import DomainError
from marketplace.extensions import db, limiter
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.security import public, safe_next_url

bp = Blueprint("accounts", __name__, url_prefix="/compte")
EMAIL_KEY_MAX_LENGTH = 254


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_rate_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_account_key() -> str:
    """The account a login attempt names: failed attempts are counted per account too, so
    trying passwords from many addresses does not escape the limit."""
    email = services.normalise_email(request.form.get("email", ""))[:EMAIL_KEY_MAX_LENGTH]
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()


def _failed_login(response) -> bool:
    return response.status_code != 302  # a successful login redirects


def _reset_rate_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _open_session(user, *, remember: bool) -> None:
    sessions.open_session(user, remember=remember, device=request.user_agent.string)
    db.session.commit()
    login_user(user, remember=remember, duration=sessions.lifetime(remember))


@bp.route("/inscription", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("territory.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.name.data, form.email.data, form.password.data, str(get_locale())
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        except IntegrityError:
            # Someone registered the same address between our check and the insert.
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(services.DUPLICATE_EMAIL)]
        else:
            _open_session(user, remember=False)
            flash(_("Bienvenue %(name)s, votre compte est créé !", name=user.name), "success")
            return redirect(url_for("territory.dashboard"))
    return render_template("accounts/register.html", form=form)


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
@limiter.limit(
    _login_account_rate_limit,
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed_login,
)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("territory.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Adresse e-mail ou mot de passe incorrect."))
        elif not user.is_active:
            form.form_errors.append(
                _("Ce compte est désactivé. Contactez la coordination de votre groupe.")
            )
        else:
            services.record_login(user)
            _open_session(user, remember=form.remember.data)
            refresh()  # from now on, the person's own language
            flash(_("Bonjour %(name)s !", name=user.name), "success")
            return redirect(next_url or url_for("territory.dashboard"))
    return render_template("accounts/login.html", form=form, next_url=next_url)


def _login_link_rate_limit() -> str:
    return current_app.config["LOGIN_LINK_RATE_LIMIT"]


@bp.route("/connexion/lien", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
@limiter.limit(_login_link_rate_limit, key_func=_login_account_key, methods=["POST"])
def login_link_request():
    if current_user.is_authenticated:
        return redirect(url_for("territory.dashboard"))
    form = LoginLinkRequestForm()
    if form.validate_on_submit():
        login_links.request_login_link(form.email.data)
        db.session.commit()
        # The same answer either way, so nobody learns which addresses have an account.
        flash(
            _("Si un compte existe pour cette adresse, un lien de connexion vient d'être envoyé."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/login_link_request.html", form=form)


@bp.route("/connexion/lien/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
def use_login_link(token: str):
    """GET only asks to confirm: mail scanners that open links must not spend them."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        user = login_links.use_login_link(token)
        if user is not None:
            if current_user.is_authenticated:
                sessions.end_current_session(current_user)
                logout_user()
            services.record_login(user)
            _open_session(user, remember=False)
            refresh()
            flash(_("Bonjour %(name)s !", name=user.name), "success")
            return redirect(url_for("territory.dashboard"))
        db.session.rollback()
        usable = False
    else:
        usable = login_links.link_is_usable(token)
    template = "accounts/login_link_use.html" if usable else "accounts/login_link_invalid.html"
    response = current_app.make_response(
        (render_template(template, form=form, token=token), 200 if usable else 400)
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/deconnexion")
@public  # a stale tab logging out a session that already ended simply goes home
def logout():
    if current_user.is_authenticated:
        # Keep the person's language for the pages they read as a visitor.
        session["language"] = current_user.language
        # The session ends on the server too: a copy of the cookie opens nothing any more.
        sessions.end_current_session(current_user)
        db.session.commit()
        logout_user()
        flash(_("Vous êtes déconnecté·e. À bientôt !"), "success")
    return redirect(url_for("territory.home"))


@bp.route("/mot-de-passe/oublie", methods=["GET", "POST"])
@public
@limiter.limit(_reset_rate_limit, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()  # the email is queued in the outbox, sent once committed
        # The same answer either way, so nobody learns which addresses have an account.
        flash(
            _("Si un compte existe pour cette adresse, un e-mail vient d'être envoyé."), "success"
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    user = user_for_reset_token(token)
    if user is None:
        response = current_app.make_response((render_template("accounts/reset_invalid.html"), 400))
    else:
        form = ResetPasswordForm(account=user)
        if form.validate_on_submit():
            try:
                services.set_password(user, form.password.data)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                show_service_error(form, error)
            else:
                flash(
                    _("Votre mot de passe est changé. Connectez-vous avec le nouveau."), "success"
                )
                return redirect(url_for("accounts.login"))
        response = current_app.make_response(
            render_template("accounts/reset_password.html", form=form)
        )
    # The token is in the address: never hand it to another site, even by its origin.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/profil", methods=["GET", "POST"])
def profile():
    user = current_user._get_current_object()
    if request.method == "POST" and PasswordChangeForm.SUBMIT_NAME in request.form:
        profile_form = ProfileForm(formdata=None, obj=user)
        password_form = PasswordChangeForm(account=user)
        if password_form.validate_on_submit():
            try:
                services.change_password(
                    user, password_form.current_password.data, password_form.password.data
                )
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                show_service_error(password_form, error)
            else:
                flash(_("Votre mot de passe est changé."), "success")
                return redirect(url_for("accounts.profile"))
    else:
        profile_form = ProfileForm(obj=user)
        password_form = PasswordChangeForm(formdata=None, account=user)
        if profile_form.validate_on_submit():
            try:
                services.update_profile(
                    user,
                    name=profile_form.name.data,
                    phone=profile_form.phone.data,
                    language=profile_form.language.data,
                    wants_group_messages=bool(profile_form.wants_group_messages.data),
                )
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                show_service_error(profile_form, error)
            else:
                refresh()  # the language just chosen applies at once, this message included
                flash(_("Votre profil est enregistré."), "success")
                return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", profile_form=profile_form, password_form=password_form
    )


@bp.get("/sessions")
def my_sessions():
    user = current_user._get_current_object()
    return render_template(
        "accounts/sessions.html",
        sessions=sessions.sessions_of(user),
        current_id=sessions.current_session_id(user),
        form=ConfirmForm(),
    )


@bp.post("/sessions/<int:session_id>/fermer")
def end_session(session_id: int):
    if ConfirmForm().validate_on_submit() and sessions.end_session(current_user, session_id):
        db.session.commit()
        flash(_("Cette session est terminée."), "success")
    return redirect(url_for(".my_sessions"))


@bp.post("/sessions/fermer-les-autres")
def end_other_sessions():
    if ConfirmForm().validate_on_submit():
        count = sessions.end_other_sessions(current_user)
        db.session.commit()
        flash(_("Vos autres sessions sont terminées (%(num)d).", num=count), "success")
    return redirect(url_for(".my_sessions"))
