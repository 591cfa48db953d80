"""The operator's settings the domain follows: VAT rates, currencies, time zones, prices,
delays, number blocks, quotas. One typed, read-only object per app, built from its
configuration (`config.py` holds the defaults; a deployment's config object or `create_app`
mapping overrides any of them by its upper-case name, e.g. ``VAT_RATES``).

The domain asks `settings()` for them; it never imports `config`. Outside an app (a script,
a benchmark's set-up) the defaults apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from flask import current_app, has_app_context

EXTENSION = "operator_settings"


@dataclass(frozen=True)
class OperatorSettings:
    #: Per country code ("FR", "BE", "CH").
    vat_rates: Mapping[str, Decimal]
    currencies: Mapping[str, str]
    timezones: Mapping[str, str]
    #: Monthly prices excl. VAT, in the country's currency.
    extra_call_price: Decimal
    alias_number_price: Decimal
    #: Days to send back the hardware of a terminated or converted line.
    hardware_return_days: int
    #: Country → (first, last) E.164 number of the block new lines take their numbers from.
    new_line_numbers: Mapping[str, tuple[str, str]]
    #: Service kind → {"periods": (months, ...), "manual": bool}.
    service_renewal: Mapping[str, Mapping[str, Any]]
    service_reminder_days: tuple[int, ...]
    service_payment_days: int
    service_delete_after_days: int
    number_quarantine_days: int
    #: (from this many licences, this many service numbers), ascending.
    service_number_quota: tuple[tuple[int, int], ...]
    service_number_hold_minutes: int
    service_number_quarantine_months: int
    service_number_types: Mapping[str, tuple[str, ...]]
    service_number_capacity: Mapping[str, int]
    service_number_prices: Mapping[str, Mapping[str, Decimal]]
    port_lead_days: Mapping[str, int]
    port_rules_2027: date
    port_lead_days_2027: Mapping[str, int]
    port_document_max_bytes: int
    port_document_max_age_months: int
    port_bill_required: Mapping[str, bool]
    credit_amounts: Mapping[str, tuple[int, ...]]
    toll_free_rates: Mapping[str, Mapping[str, Decimal]]
    card_expiry_warning_months: int
    collection_lead_days: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OperatorSettings:
        """Each field from the setting of its upper-case name; a missing one says which."""
        missing = [f.name.upper() for f in fields(cls) if f.name.upper() not in config]
        if missing:
            raise KeyError(f"settings missing from the configuration: {', '.join(missing)}")
        return cls(**{f.name: _frozen(config[f.name.upper()]) for f in fields(cls)})


def _frozen(value):
    """Mappings read-only, so that no request changes what every other one sees."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value


def _defaults() -> OperatorSettings:
    import config

    return OperatorSettings.from_config(vars(config.Config))


_DEFAULTS: OperatorSettings | None = None


def settings() -> OperatorSettings:
    """The running app's settings (made once by `init_app`), or the defaults."""
    if has_app_context():
        found = current_app.extensions.get(EXTENSION)
        if found is not None:
            return found
    global _DEFAULTS
    if _DEFAULTS is None:
        _DEFAULTS = _defaults()
    return _DEFAULTS


def init_app(app) -> None:
    app.extensions[EXTENSION] = OperatorSettings.from_config(app.config)
