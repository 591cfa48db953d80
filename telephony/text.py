"""Text as people search it: without case or accents."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents: "Répondeur" → "repondeur", "Grüße" → "grusse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


#: Letters a name may be written with or without: "Sœurs" is found by "soeurs".
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def fold_name(text: str) -> str:
    """`fold`, ligatures written out: how names are compared (account.search_name)."""
    return fold(text).translate(_LIGATURES)
