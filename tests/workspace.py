"""The translators' workspace in tests: settings that point it at a copy of the catalogues
and the FAQ answers, and the entries the tests edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from i18n_tools import TRANSLATIONS_DIR
from translating.catalogs import entry_key

SIGN_IN = entry_key("Sign in", None)


HELD = entry_key(("Only %(num)d number matched your search: it is held for you.", ""), None)


def copy_translations(target: Path) -> Path:
    """The catalogues, compiled ones included, in a folder a test may write to."""
    shutil.copytree(TRANSLATIONS_DIR, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


def workspace_settings(folder: Path) -> dict:
    """A site with the workspace on over its own copies of the catalogues and the FAQ."""
    from telephony.faq.content import CONTENT_DIR

    translations = copy_translations(folder / "translations")
    faq = folder / "faq-content"
    shutil.copytree(CONTENT_DIR, faq, ignore=shutil.ignore_patterns("*.lock"))
    return {
        "TRANSLATION_EDITOR": True,
        "TRANSLATIONS_DIR": str(translations),
        "FAQ_CONTENT_DIR": str(faq),
    }
