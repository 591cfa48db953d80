"""How the features plug into the core, declared in one list and checked at start-up.

The core runs what it does not know: the renewal run carries out scheduled tasks
(telephony.billing), cancelling a task may undo something at once, paying an invoice
triggers its on-paid action (telephony.payments), and a service e-mail may carry a
document built when it is sent (telephony.mail). Each feature says what it brings in a
`PLUG` (a `Plug`); `FEATURES` lists the features; `wire()` registers every plug and fails
loudly when something is missing or claimed twice. A new feature adds its module to
FEATURES and its actions to telephony.models.TaskAction (with their labels in labels.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: The modules that plug into the core, each with a PLUG.
FEATURES = (
    "telephony.offers",
    "telephony.calls",
    "telephony.lifecycle",
    "telephony.line_orders",
    "telephony.services.paying",
    "telephony.service_numbers.credits",
    "documents.mandate",
)


class WiringError(RuntimeError):
    """A feature's plug is missing, incomplete or in conflict with another's."""


@dataclass(frozen=True)
class Plug:
    #: task action → handler(task, run day) -> result text (telephony.billing)
    tasks: Mapping[str, Callable] = field(default_factory=dict)
    #: task action → what cancelling a pending task of it undoes at once
    cancel_hooks: Mapping[str, Callable] = field(default_factory=dict)
    #: invoice.on_paid["action"] → handler(invoice, actor) when it is paid
    paid: Mapping[str, Callable] = field(default_factory=dict)
    #: invoice.on_paid["action"] → check(invoice) raising DomainError when its on-paid
    #: action would refuse: run before any money is taken
    payable: Mapping[str, Callable] = field(default_factory=dict)
    #: attachment type → builder(id, masked=False) -> (file name, MIME type, bytes) | None
    attachments: Mapping[str, Callable] = field(default_factory=dict)


def _register(registry: dict, kind: str, owner: str, entries: Mapping[str, Callable]) -> None:
    for name, handler in entries.items():
        known = registry.get(name)
        if known is not None and known is not handler:
            raise WiringError(f"{owner}: the {kind} {str(name)!r} is already plugged in elsewhere")
        registry[name] = handler


def wire() -> None:
    """Register every feature's plug, then check that each task action has its handler
    and its labels. Safe to call again (each app the tests build calls it)."""
    from labels import CANCEL_LABELS, TASK_ACTIONS
    from telephony import billing, mail, payments
    from telephony.models import TaskAction

    for name in FEATURES:
        plug = getattr(importlib.import_module(name), "PLUG", None)
        if not isinstance(plug, Plug):
            raise WiringError(f"{name} is listed in FEATURES but has no PLUG")
        _register(billing.ACTIONS, "task action", name, plug.tasks)
        _register(billing.CANCEL_HOOKS, "cancel hook", name, plug.cancel_hooks)
        _register(payments.PAID_HANDLERS, "on-paid action", name, plug.paid)
        _register(payments.PAYABLE_CHECKS, "payable check", name, plug.payable)
        _register(mail.ATTACHMENTS, "attachment type", name, plug.attachments)
    problems = [
        f"task action {action.value!r} has no {what}"
        for action in TaskAction
        for what, known in (
            ("handler", billing.ACTIONS),
            ("label", TASK_ACTIONS),
            ("cancel label", CANCEL_LABELS),
        )
        if action not in known
    ]
    if problems:
        raise WiringError("; ".join(problems))
