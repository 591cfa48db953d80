"""The RIO (relevé d'identité opérateur) of a French number: what a customer gives another
operator to port the number out. Twelve characters: the operator's code (2), the customer's
quality (1: E or P for mobile, another letter for fixed), a contract reference (6) and a key
(3) computed together with the number, so that a RIO only fits its own number."""

from __future__ import annotations

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+"


def national(number: str) -> str:
    """+33972100001 → 0972100001 (the 10 digits the key is computed over)."""
    digits = number.removeprefix("+33")
    return digits if digits.startswith("0") else "0" + digits


def key(prefix: str, number: str) -> str:
    """The 3-character key of the RIO starting with `prefix` (9 characters) for `number`."""
    a = b = c = 0
    for symbol in (prefix + national(number)).upper():
        p = ALPHABET.index(symbol)
        a, b, c = (a + p) % 37, (2 * b + p) % 37, (4 * c + p) % 37
    return ALPHABET[a] + ALPHABET[b] + ALPHABET[c]


def rio(operator: str, quality: str, reference: str, number: str) -> str:
    """The RIO of `number` for this operator code, quality letter and 6-character reference."""
    prefix = f"{operator}{quality}{reference}".upper()
    if len(prefix) != 9 or any(symbol not in ALPHABET for symbol in prefix):
        raise ValueError(f"not a RIO prefix: {prefix!r}")
    return prefix + key(prefix, number)


def is_valid(value: str, number: str) -> bool:
    """True when `value` is a well-formed RIO whose key fits `number`."""
    value = "".join(value.split()).upper()
    if len(value) != 12 or any(symbol not in ALPHABET for symbol in value):
        return False
    digits = national(number)
    if len(digits) != 10 or not digits.isdigit():
        return False
    return key(value[:9], number) == value[9:]


def contract_reference(account_code: str) -> str:
    """The 6-character contract reference of an account: its code's digits and letter
    (vt10001-f → 10001F)."""
    compact = "".join(ch for ch in account_code.upper() if ch.isalnum())
    return compact[-6:].rjust(6, "0")
