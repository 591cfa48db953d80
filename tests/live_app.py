"""The app as gunicorn serves it in the live tests on PostgreSQL (tests/live.py)."""

import os

from app import create_app


def build():
    return create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": os.environ["LIVE_DATABASE_URL"]}
    )
