"""Flask-Login wiring: how a session finds its person, and where visitors are sent."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import User
from marketplace.accounts.sessions import user_for_cookie
from marketplace.extensions import login_manager


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """The person of a session or remember-me cookie (`<id>:<token>`), while that session is
    open: a cookie of an ended session, or of the days before sessions, opens nothing."""
    return user_for_cookie(cookie_id)


login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
login_manager.login_message_category = "warning"
login_manager.session_protection = "basic"
