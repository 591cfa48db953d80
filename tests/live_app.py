"""The app as gunicorn serves it in the live tests on PostgreSQL (tests/live.py), with the
settings the test gave (LIVE_SETTINGS, JSON)."""

import json
import os

from app import create_app


def build():
    settings = json.loads(os.environ.get("LIVE_SETTINGS") or "{}")
    return create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": os.environ["LIVE_DATABASE_URL"],
            **settings,
        }
    )
