"""The features plug into the core through one declared list; anything missing or claimed
twice stops start-up with a message instead of failing later, quietly."""

from __future__ import annotations

import pytest

from telephony import billing, mail, payments, wiring
from telephony.models import ServiceEmail, TaskAction


@pytest.fixture
def empty_registries(monkeypatch):
    for module, name in (
        (billing, "ACTIONS"),
        (billing, "CANCEL_HOOKS"),
        (payments, "PAID_HANDLERS"),
        (mail, "ATTACHMENTS"),
    ):
        monkeypatch.setattr(module, name, {})


def test_every_task_action_has_its_handler_and_labels(app):
    assert set(TaskAction) <= set(billing.ACTIONS)
    assert "procedure" in mail.ATTACHMENTS and "add_calls" in payments.PAID_HANDLERS


def test_a_feature_left_out_is_named(monkeypatch, empty_registries):
    monkeypatch.setattr(
        wiring, "FEATURES", tuple(f for f in wiring.FEATURES if f != "telephony.calls")
    )
    with pytest.raises(wiring.WiringError, match="'remove_calls' has no handler"):
        wiring.wire()


def test_a_feature_without_a_plug_is_refused(monkeypatch, empty_registries):
    monkeypatch.setattr(wiring, "FEATURES", (*wiring.FEATURES, "telephony.dates"))
    with pytest.raises(wiring.WiringError, match="telephony.dates .* has no PLUG"):
        wiring.wire()


def test_an_action_claimed_twice_is_refused(monkeypatch, empty_registries):
    billing.ACTIONS["change_offer"] = lambda task, day: "someone else's"
    with pytest.raises(wiring.WiringError, match="'change_offer' is already plugged in"):
        wiring.wire()


def test_an_attachment_nobody_builds_is_an_error(app_ctx):
    message = ServiceEmail(attachment_type="invoice", attachment_id=1)
    with pytest.raises(LookupError, match="'invoice'"):
        mail.attachment_of(message)
