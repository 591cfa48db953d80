"""Extension singletons, created once here and bound to the app in `create_app`."""

from functools import lru_cache

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, MetaData, inspect
from sqlalchemy.orm import DeclarativeBase, Mapper

from database import RequestSession

# Stable constraint names, so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


#: The request's session reads without a transaction on GET and HEAD (database.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RequestSession})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@lru_cache(maxsize=16)
def column_keys(model) -> tuple[str, ...]:
    """The attribute of every column a model maps (a kept page's key reads them all, and
    the session's query selects them all)."""
    mapper: Mapper = inspect(model)
    return tuple(prop.key for prop in mapper.column_attrs)


def rows_changed(statement) -> int:
    """Run an UPDATE or a DELETE in the request's session: how many rows it changed (the
    conditional UPDATEs that make a change happen once read it)."""
    result = db.session.execute(statement)
    assert isinstance(result, CursorResult)  # what an UPDATE or a DELETE returns
    return result.rowcount
