"""The domain model: SQLAlchemy 2 typed models. They know nothing of requests.

Every row that belongs to a customer carries `account_id`, so that every query of customer
data can be written `...where(Model.account_id == account.id)` and indexed on it.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from telephony import versioning
from telephony.settings import settings
from telephony.text import fold_name

if TYPE_CHECKING:  # what db.Model is, for the type checker: the declarative base
    from extensions import Base as Model
else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the value (readable in SQL), as VARCHAR + CHECK: portable and migration-friendly.
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda c: [m.value for m in c],
        name=cls.__name__.lower(),
    )


class Country(enum.StrEnum):
    FR = "FR"
    BE = "BE"
    CH = "CH"


class AccountKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"
    ASSOCIATION = "association"


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    TRANSLATOR = "translator"
    ADMIN = "admin"


class LineKind(enum.StrEnum):
    SIP = "sip"
    TRUNK = "trunk"
    FAX = "fax"


class LineStatus(enum.StrEnum):
    ACTIVE = "active"
    TERMINATED = "terminated"


class AliasConfig(enum.StrEnum):
    NONE = "none"
    REDIRECT = "redirect"
    VOICEMAIL = "voicemail"
    QUEUE = "queue"
    IVR = "ivr"
    CONFERENCE = "conference"


class TaskStatus(enum.StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"


class TaskAction(enum.StrEnum):
    """What a scheduled task does: one name per kind of pending change. Each has a handler
    (telephony.wiring checks it at start-up) and labels (labels.TASK_ACTIONS)."""

    CHANGE_OFFER = "change_offer"
    REMOVE_CALLS = "remove_calls"
    CONVERT_TO_ALIAS = "convert_to_alias"
    CONVERT_TO_LINE = "convert_to_line"
    TERMINATE_LINE = "terminate_line"
    TERMINATE_ALIAS = "terminate_alias"
    TERMINATE_POOL = "terminate_pool"
    ORDER_LINE = "order_line"


class RenewalMode(enum.StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class ServiceState(enum.StrEnum):
    CREATING = "creating"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    PURCHASE_ORDER = "purchase_order"
    #: Refunds (part of) an invoice: numbered in its own sequence, linked to the invoice.
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    #: In a direct-debit file sent to the bank: paid unless the bank returns the debit.
    COLLECTION_SENT = "collection_sent"
    #: Paid, then refunded in full by a credit note.
    REFUNDED = "refunded"


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    SEPA_DEBIT = "sepa_debit"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class EmailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Account(Model):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The customer's identifier, shown everywhere: two letters, five digits, dash, letter.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind))
    country: Mapped[Country] = mapped_column(_enum(Country))
    #: Locale id of the customer's language (e.g. nl_BE); service e-mails use it.
    language: Mapped[str] = mapped_column(String(8))
    #: The billing contact: who receives the invoices and the service e-mails. Changing it
    #: requires a new validation procedure (telephony.contacts).
    billing_contact_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    billing_email: Mapped[str] = mapped_column(String(254))
    #: The day of the month (1 to 28) the account's services were last aligned on.
    renewal_day: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The name and the billing contact's, folded (telephony.text.fold_name), for the agents'
    #: search: "dupre" finds "Dupré", "societe" "SOCIÉTÉ" (SQL's lower() knows no accents).
    #: Kept by the ORM whenever either changes (search_name_of).
    search_name: Mapped[str] = mapped_column(String(310), default="", server_default="")
    #: Raised by the database (SQLite) whenever a row the kept pages show changes
    #: (telephony.versioning); never written by the application.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    groups: Mapped[list[TelephonyGroup]] = relationship(back_populates="account")

    @property
    def currency(self) -> str:
        return settings().currencies[self.country.value]

    @property
    def vat_rate(self) -> Decimal:
        return settings().vat_rates[self.country.value]

    @property
    def timezone(self) -> str:
        return settings().timezones[self.country.value]


def search_name_of(name: str | None, contact: str | None) -> str:
    return fold_name(f"{name or ''}\n{contact or ''}")


@event.listens_for(Account, "before_insert")
@event.listens_for(Account, "before_update")
def _keep_search_name(_mapper, _connection, account: Account) -> None:
    account.search_name = search_name_of(account.name, account.billing_contact_name)


class AccountChange(Model):
    """PostgreSQL: a change to an account's rows that kept pages show, appended by the
    database's triggers (telephony.versioning). No foreign key: appending takes no lock."""

    __tablename__ = "account_change"
    __table_args__ = (Index("ix_account_change_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.CUSTOMER)
    name: Mapped[str] = mapped_column(String(200), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    #: Remembered locale choice (None: negotiate).
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Raised to end every session of the user at once ("Sign out everywhere", a new
    #: password, a removal): a session remembers the value it was opened with.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: An agent: the customer they act for now, as the record says (telephony.support).
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    account: Mapped[Account | None] = relationship(foreign_keys=[account_id])

    def set_password(self, password: str) -> None:
        method = "scrypt"
        if has_app_context():  # the test suite uses a cheaper (still real) hash
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


class TelephonyGroup(Model):
    """A billing account: a container of lines and numbers, billed on one invoice."""

    __tablename__ = "telephony_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")

    account: Mapped[Account] = relationship(back_populates="groups")


class Offer(Model):
    """One entry of a country's catalogue."""

    __tablename__ = "offer"
    __table_args__ = (UniqueConstraint("country", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    country: Mapped[Country] = mapped_column(_enum(Country))
    name: Mapped[str] = mapped_column(String(80))
    #: Which kind of line the offer is for.
    line_kind: Mapped[LineKind] = mapped_column(_enum(LineKind))
    price_excl_vat: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3))
    #: Simultaneous calls included, and the most the line may have with this offer.
    basic_calls: Mapped[int] = mapped_column(Integer, default=1)
    max_calls: Mapped[int] = mapped_column(Integer, default=1)
    #: Offers ordered by level; a line never moves to a lower level (Entreprise → Découverte).
    level: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Line(Model):
    """A SIP line, a trunk or a fax line."""

    __tablename__ = "line"
    __table_args__ = (
        Index("ix_line_account_number", "account_id", "number"),
        # Agents find a caller by any of their numbers, active or not.
        Index("ix_line_number", "number"),
        # A number belongs to one active line; a terminated or converted line keeps it in
        # its history (and the alias number it became may carry it again).
        Index(
            "uq_line_active_number",
            "number",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("telephony_group.id"), index=True)
    #: E.164 number, e.g. +33412345678.
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[LineKind] = mapped_column(_enum(LineKind))
    description: Mapped[str] = mapped_column(String(200), default="")
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    status: Mapped[LineStatus] = mapped_column(_enum(LineStatus), default=LineStatus.ACTIVE)
    #: Simultaneous calls: current total, most allowed, and how many go at the next renewal.
    #: "basic" is the offer's, "extra" is current - basic.
    calls_current: Mapped[int] = mapped_column(Integer, default=1)
    calls_max: Mapped[int] = mapped_column(Integer, default=1)
    calls_to_remove: Mapped[int] = mapped_column(Integer, default=0)

    group: Mapped[TelephonyGroup] = relationship()
    offer: Mapped[Offer] = relationship()
    hardware: Mapped[list[Hardware]] = relationship(back_populates="line")

    @property
    def is_active(self) -> bool:
        return self.status == LineStatus.ACTIVE

    @property
    def calls_basic(self) -> int:
        return self.offer.basic_calls

    @property
    def calls_extra(self) -> int:
        return max(0, self.calls_current - self.calls_basic)

    @property
    def calls_adjustable(self) -> bool:
        """Découverte (and fax) are fixed at their basic calls; Entreprise goes up to a max."""
        return max(self.calls_max, self.offer.max_calls) > self.offer.basic_calls

    @property
    def monthly_price_excl_vat(self) -> Decimal:
        """The offer's price plus each extra simultaneous call."""
        return self.offer.price_excl_vat + self.calls_extra * settings().extra_call_price


class Hardware(Model):
    """A device attached to a line (Plug & Phone, Plug & Fax)."""

    __tablename__ = "hardware"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # plug_and_phone, plug_and_fax
    model: Mapped[str] = mapped_column(String(80))
    serial: Mapped[str] = mapped_column(String(40))
    return_requested_on: Mapped[date | None] = mapped_column(Date)

    line: Mapped[Line | None] = relationship(back_populates="hardware")


class NumberPool(Model):
    """A range of consecutive numbers sold together: they end together."""

    __tablename__ = "number_pool"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("telephony_group.id"), index=True)
    first_number: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)


class AliasNumber(Model):
    """A number that does not register on a phone: redirection, queue, IVR, conference..."""

    __tablename__ = "alias_number"
    __table_args__ = (
        Index("ix_alias_number_account_number", "account_id", "number"),
        Index("ix_alias_number_number", "number"),
        Index(
            "uq_alias_number_active_number",
            "number",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("telephony_group.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200), default="")
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("number_pool.id"), index=True)
    config_kind: Mapped[AliasConfig] = mapped_column(_enum(AliasConfig), default=AliasConfig.NONE)
    status: Mapped[LineStatus] = mapped_column(_enum(LineStatus), default=LineStatus.ACTIVE)

    group: Mapped[TelephonyGroup] = relationship()
    pool: Mapped[NumberPool | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status == LineStatus.ACTIVE


class ScheduledTask(Model):
    """A pending change, carried out once by the renewal run at `execute_on`.

    `pending_key` is set while the task is todo/doing and cleared when it ends: a unique
    index on it makes "one pending change of this kind per target" hold even under races.
    """

    __tablename__ = "scheduled_task"
    __table_args__ = (Index("ix_scheduled_task_due", "status", "execute_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    execute_on: Mapped[date] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.TODO)
    pending_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: Set when an agent created the task for the customer.
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    created_by: Mapped[User | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.status in (TaskStatus.TODO, TaskStatus.DOING)


class Service(Model):
    """Every billable thing of an account, with how it renews."""

    __tablename__ = "service"
    __table_args__ = (Index("ix_service_account_expires", "account_id", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: sip_line, trunk, fax_line, alias_number, number_pool, service_number...
    service_type: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[ServiceState] = mapped_column(_enum(ServiceState), default=ServiceState.ACTIVE)
    renewal_mode: Mapped[RenewalMode] = mapped_column(
        _enum(RenewalMode), default=RenewalMode.AUTOMATIC
    )
    period_months: Mapped[int] = mapped_column(Integer, default=1)
    expires_on: Mapped[date] = mapped_column(Date)
    terminate_on: Mapped[date | None] = mapped_column(Date)
    #: When the current period started (created or last renewed): "renewed within a month".
    renewed_on: Mapped[date | None] = mapped_column(Date)
    #: The end of a commitment period: until then renewal cannot be changed or anticipated.
    committed_until: Mapped[date | None] = mapped_column(Date)
    #: When the renewal run suspended it (unpaid); a manual one is deleted some days later.
    suspended_on: Mapped[date | None] = mapped_column(Date)
    monthly_price_excl_vat: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)


class ServiceNotice(Model):
    """A notice the renewal run sent about a service (a reminder before its expiry, its
    suspension, its deletion): unique per service, kind and expiry, so each goes out once
    whatever runs at the same time."""

    __tablename__ = "service_notice"
    __table_args__ = (UniqueConstraint("service_id", "kind", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    #: reminder_40, reminder_15 (manual), renewal_notice (automatic, over one month).
    kind: Mapped[str] = mapped_column(String(24))
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NumberQuarantine(Model):
    """A number taken back from a deleted service: nobody may be given it before `until`."""

    __tablename__ = "number_quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: E.164.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    until: Mapped[date] = mapped_column(Date)
    #: The account that held it (for agents), not a link that would keep the number theirs.
    former_account_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Invoice(Model):
    """An invoice or a purchase order, with its lines. Amounts are stored, not recomputed."""

    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[InvoiceKind] = mapped_column(_enum(InvoiceKind))
    status: Mapped[InvoiceStatus] = mapped_column(
        _enum(InvoiceStatus), default=InvoiceStatus.AWAITING_PAYMENT
    )
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_incl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    terms_reference: Mapped[str] = mapped_column(String(80), default="")
    #: Set while a purchase order awaits payment, e.g. "line:12:calls_order": unique, so a
    #: line has at most one open order, even when two are placed at once.
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    #: Issued on, and to be paid by (renewal invoices: an automatic service whose invoice
    #: is still unpaid after `due_on` is suspended).
    issued_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    #: The form that asked for it (a token): unique, so a form sent twice makes one invoice.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When its structured e-invoice (Factur-X, UBL) was handed to the e-invoicing platform.
    einvoice_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: A credit note: the invoice it refunds (part of).
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: What paying it triggers (e.g. {"action": "add_calls", ...}); read by the payment hooks.
    on_paid: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The customer as the document names them (name, e-mail, address, company
    #: identifier), copied when it is made: it never changes after (invoicing.buyer).
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    account: Mapped[Account] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )
    #: The invoice a credit note refunds.
    credited: Mapped[Invoice | None] = relationship(
        remote_side="Invoice.id", foreign_keys=[credited_invoice_id]
    )

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


class InvoiceLine(Model):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: The service this line bills (a renewal), if any: its invoice due makes the service's
    #: renewal status "invoice to pay".
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_excl_vat: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    total_excl_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    #: The period a service line pays for (first day, and the day the next one starts).
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def last_day(self) -> date | None:
        """The last day the line pays for, as people write a period (its end excluded)."""
        return self.period_end - timedelta(days=1) if self.period_end else None


class InvoiceSequence(Model):
    """The last number given in a series (the issuing company's invoices, or its credit
    notes) and year. Numbers are taken by an UPDATE of this row in the transaction that
    issues the document: its lock makes two issuers wait for each other, and a rollback
    gives the number back, so a sequence has no gaps and no repeats."""

    __tablename__ = "invoice_sequence"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class InvoiceArchive(Model):
    """Every invoice PDF of a period as one ZIP, asked for on the invoices page and built
    by a worker (`flask billing archives`): a queue row with a lease, kept in the database
    so that any machine may build it and any may serve it."""

    __tablename__ = "invoice_archive"
    __table_args__ = (Index("ix_invoice_archive_status", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    #: queued, building (leased until next_attempt_at), ready, failed.
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The form that asked for it: unique, so a form sent twice queues one archive.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DebitCollection(Model):
    """One SEPA direct-debit file (pain.008) sent to the operator's bank: the debits of one
    creditor company, currency and collection date. Its XML is kept as sent."""

    __tablename__ = "debit_collection"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The creditor: the operator's company of that country (its creditor identifier).
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    collection_on: Mapped[date] = mapped_column(Date)
    #: The file's message identifier (GrpHdr/MsgId): unique, as banks require.
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    xml: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Debit(Model):
    """One invoice in a direct-debit file. A debit the bank returns puts its invoice back
    to pay; the invoice may then be collected again in a later file (a new debit)."""

    __tablename__ = "debit"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("debit_collection.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    mandate_reference: Mapped[str] = mapped_column(String(35), index=True)
    #: FRST (the mandate's first debit) or RCUR.
    sequence_type: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    #: sent, then returned when the bank gives it back.
    status: Mapped[str] = mapped_column(String(12), default="sent")
    return_reason: Mapped[str] = mapped_column(String(8), default="")
    returned_on: Mapped[date | None] = mapped_column(Date)


class StoredPaymentMethod(Model):
    """A way the account pays: a card kept by the payment provider (a token, never the
    number), or the SEPA mandate of its validated procedure. At most one is the default,
    enforced by a unique index: the renewal run collects invoices from it."""

    __tablename__ = "stored_payment_method"
    __table_args__ = (
        Index(
            "uq_stored_payment_method_default",
            "account_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
        # The same card added twice (a double click) is kept once.
        UniqueConstraint("account_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod))
    #: The provider's fingerprint of a card (the same card, the same print); none for a mandate.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: The provider's token of a card (what a charge names); empty for a mandate.
    token: Mapped[str] = mapped_column(String(80), default="")
    #: Card brand (visa, mastercard, amex, card) and its last four digits.
    brand: Mapped[str] = mapped_column(String(20), default="")
    last4: Mapped[str] = mapped_column(String(4), default="")
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    #: The validated procedure whose SEPA mandate this is.
    procedure_id: Mapped[int | None] = mapped_column(
        ForeignKey("validation_procedure.id"), unique=True
    )
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the holder was told the card expires soon (once per card).
    expiry_notice_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    procedure: Mapped[ValidationProcedure | None] = relationship()


class Payment(Model):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus))
    provider_reference: Mapped[str] = mapped_column(String(80), default="")
    failure_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServiceEmail(Model):
    """A message the operator sends a customer: rendered in their language, queued, sent."""

    __tablename__ = "service_email"
    __table_args__ = (Index("ix_service_email_status", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    template: Mapped[str] = mapped_column(String(60))
    locale: Mapped[str] = mapped_column(String(8))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(_enum(EmailStatus), default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: A document sent with the message, built when sent: ("procedure", its id).
    attachment_type: Mapped[str | None] = mapped_column(String(40))
    attachment_id: Mapped[int | None] = mapped_column(Integer)
    #: The page of the customer area the message is about (absolute; None without SITE_URL).
    screen_url: Mapped[str | None] = mapped_column(String(500))


class SentAttachment(Model):
    """The document a service e-mail carried, as it was sent: its archive shows that, not
    the document made again from today's data (a procedure's details changed since, its
    date). With the copy an agent may see (bank details masked)."""

    __tablename__ = "sent_attachment"

    email_id: Mapped[int] = mapped_column(ForeignKey("service_email.id"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    masked: Mapped[bytes] = mapped_column(LargeBinary)


class AuditEvent(Model):
    """Who did what to whose account, when, with the state before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The user who acted (None: the system, e.g. the renewal run).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: The account acted upon (on whose behalf, when the actor is an agent).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class WebSession(Model):
    """A signed-in browser session kept on the server (see server_sessions.py); the cookie
    holds a random token whose SHA-256 is the id, so this table can't be replayed."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    data: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CallNote(Model):
    """A support agent's short note about a call with the customer (kept as written)."""

    __tablename__ = "call_note"
    __table_args__ = (Index("ix_call_note_account_at", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[User] = relationship()


class ProcedureStatus(enum.StrEnum):
    """Where a validation procedure stands (see telephony.procedure for the transitions)."""

    TODO = "todo"
    WAITING = "waiting_for_customer"
    RECEIVED = "received"
    VALIDATED = "validated"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


def mask_iban(iban: str | None) -> str:
    """What an agent may see of an IBAN: its last four characters."""
    compact = "".join((iban or "").split())
    return "•" * (len(compact) - 4) + compact[-4:] if len(compact) > 4 else "•" * len(compact)


class ValidationProcedure(Model):
    """The direct-debit authorization and supporting documents an account must send before
    its first VoIP order, and again after a change of billing contact.

    The bank details are the account holder's as typed (cleaned); agents only ever see the
    IBAN masked (`masked_iban`)."""

    __tablename__ = "validation_procedure"
    __table_args__ = (Index("ix_validation_procedure_account_status", "account_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    status: Mapped[ProcedureStatus] = mapped_column(
        _enum(ProcedureStatus), default=ProcedureStatus.TODO
    )
    #: Why it was started: first_order, billing_contact, anticipated.
    trigger: Mapped[str] = mapped_column(String(24), default="anticipated")
    #: Unique mandate reference (SEPA: at most 35 characters of the allowed set).
    mandate_reference: Mapped[str | None] = mapped_column(String(35), unique=True)
    holder_name: Mapped[str] = mapped_column(String(70), default="")
    holder_street: Mapped[str] = mapped_column(String(70), default="")
    holder_postcode: Mapped[str] = mapped_column(String(16), default="")
    holder_city: Mapped[str] = mapped_column(String(70), default="")
    holder_country: Mapped[str] = mapped_column(String(2), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    #: Currency of the debited account: EUR (SEPA mandate) or CHF (Swiss authorization).
    currency: Mapped[str] = mapped_column(String(3), default="")
    customer_kind: Mapped[AccountKind | None] = mapped_column(_enum(AccountKind))
    #: SIREN/SIRET, Belgian enterprise number or Swiss UID, in its compact form.
    organisation_id: Mapped[str] = mapped_column(String(20), default="")
    #: Locale id of the PDF (fr_FR, nl_BE, it_CH, en...).
    document_locale: Mapped[str] = mapped_column(String(8), default="")
    #: Reason of a rejection or cancellation, shown to the customer.
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    account: Mapped[Account] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status in (
            ProcedureStatus.TODO,
            ProcedureStatus.WAITING,
            ProcedureStatus.RECEIVED,
        )

    @property
    def has_details(self) -> bool:
        return bool(self.iban and self.mandate_reference)

    @property
    def masked_iban(self) -> str:
        """All but the last four characters hidden: what agents see."""
        return mask_iban(self.iban)


class FaqFeedback(Model):
    """One answer to "Was this helpful?" under a FAQ question (anonymous: no user kept)."""

    __tablename__ = "faq_feedback"
    __table_args__ = (Index("ix_faq_feedback_slug", "slug", "helpful"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    locale: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool] = mapped_column(Boolean)
    #: The token of the form that sent it: unique, so a form sent twice counts once.
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Service numbers (seed 003) -------------------------------------------------------------


class LicenceKind(enum.StrEnum):
    PHONE_SYSTEM = "phone_system"
    AUDIO_CONFERENCING = "audio_conferencing"


class NumberType(enum.StrEnum):
    GEOGRAPHIC = "geographic"
    NATIONAL = "national"
    TOLL_FREE = "toll_free"


class InventoryState(enum.StrEnum):
    AVAILABLE = "available"
    #: Held by a reservation until `held_until`; after that, anybody's again.
    RESERVED = "reserved"
    #: The account's.
    TAKEN = "taken"
    QUARANTINED = "quarantined"


class ReservationStatus(enum.StrEnum):
    OPEN = "open"
    ACQUIRED = "acquired"
    RELEASED = "released"


class DestinationKind(enum.StrEnum):
    CONFERENCE_BRIDGE = "conference_bridge"
    AUTO_ATTENDANT = "auto_attendant"
    CALL_QUEUE = "call_queue"


class NumberDestination(Model):
    """Where a service number rings: a conference bridge, an auto attendant or a call
    queue of the account (a name, and for a queue the lines it rings)."""

    __tablename__ = "number_destination"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[DestinationKind] = mapped_column(_enum(DestinationKind))
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lines: Mapped[list[Line]] = relationship(secondary="queue_line", order_by="Line.number")


class QueueLine(Model):
    """A line a call queue rings."""

    __tablename__ = "queue_line"

    destination_id: Mapped[int] = mapped_column(
        ForeignKey("number_destination.id"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), primary_key=True)


class Licence(Model):
    """The telephony licences an account holds, per kind: they give its service-number
    quota (telephony.service_numbers.licences)."""

    __tablename__ = "licence"
    __table_args__ = (UniqueConstraint("account_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    kind: Mapped[LicenceKind] = mapped_column(_enum(LicenceKind))
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class NumberArea(Model):
    """Where geographic numbers of the inventory ring: a country's region and city, and
    the area code the city's numbers start with (national digits, e.g. "472")."""

    __tablename__ = "number_area"
    __table_args__ = (UniqueConstraint("country", "region", "city"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[Country] = mapped_column(_enum(Country))
    region: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(80))
    area_code: Mapped[str] = mapped_column(String(8), default="")


class NumberReservation(Model):
    """Numbers held for an account for a few minutes while the customer picks some. One
    open reservation per account (a partial unique index)."""

    __tablename__ = "number_reservation"
    __table_args__ = (
        Index(
            "uq_number_reservation_open",
            "account_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    number_type: Mapped[NumberType] = mapped_column(_enum(NumberType))
    status: Mapped[ReservationStatus] = mapped_column(
        _enum(ReservationStatus), default=ReservationStatus.OPEN
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServiceNumber(Model):
    """A number of the operator's inventory, from available to an account's (and back
    through quarantine), or a number ported in (`ported`: it does not use the quota).

    Searches take the index (country, type, area, state, number): equal on the first four,
    a range or an order on the number."""

    __tablename__ = "service_number"
    __table_args__ = (
        Index("ix_service_number_search", "country", "number_type", "area_id", "state", "number"),
        # National and toll-free numbers (no area): IS NULL is no equality to PostgreSQL's
        # planner, so the search index above would not give them in number order.
        Index(
            "ix_service_number_national",
            "country",
            "number_type",
            "state",
            "number",
            sqlite_where=text("area_id IS NULL"),
            postgresql_where=text("area_id IS NULL"),
        ),
        Index("ix_service_number_held", "state", "held_until"),
        # Partial: most numbers have neither (the planners' statistics then fit the few
        # that have one, and the indexes stay small).
        Index(
            "ix_service_number_account",
            "account_id",
            "state",
            sqlite_where=text("account_id IS NOT NULL"),
            postgresql_where=text("account_id IS NOT NULL"),
        ),
        Index(
            "ix_service_number_reservation",
            "reservation_id",
            sqlite_where=text("reservation_id IS NOT NULL"),
            postgresql_where=text("reservation_id IS NOT NULL"),
        ),
        Index(
            "ix_service_number_destination",
            "destination_id",
            sqlite_where=text("destination_id IS NOT NULL"),
            postgresql_where=text("destination_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: E.164.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    country: Mapped[Country] = mapped_column(_enum(Country))
    number_type: Mapped[NumberType] = mapped_column(_enum(NumberType))
    #: Geographic numbers: their city; national and toll-free numbers: none.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("number_area.id"))
    state: Mapped[InventoryState] = mapped_column(
        _enum(InventoryState), default=InventoryState.AVAILABLE
    )
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("number_reservation.id"))
    held_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    ported: Mapped[bool] = mapped_column(Boolean, default=False)
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    quarantine_until: Mapped[date | None] = mapped_column(Date)
    #: A French toll-free (SVA) number's public reverse-directory entry: publisher, service,
    #: category, tariff.
    directory_entry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Where it rings (the account's conference bridge, auto attendant or call queue).
    destination_id: Mapped[int | None] = mapped_column(ForeignKey("number_destination.id"))

    area: Mapped[NumberArea | None] = relationship()
    destination: Mapped[NumberDestination | None] = relationship()


class CreditWallet(Model):
    """An account's prepaid communication credits (they pay the calls to its toll-free
    numbers), and how they are topped up on their own."""

    __tablename__ = "credit_wallet"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    auto_recharge: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Below this balance: recharge (automatic), or tell the customer once.
    threshold: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("10.00"))
    recharge_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("50.00"))
    #: The low-balance e-mail went out since the last top-up.
    low_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class CreditMovement(Model):
    """A change of the credits: bought, recharged on their own, or used by calls."""

    __tablename__ = "credit_movement"
    __table_args__ = (
        Index("ix_credit_movement_account", "account_id", "id"),
        # A usage report is taken once, however many times the platform sends it.
        Index("uq_credit_movement_report", "account_id", "report_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    #: purchase, auto_recharge, usage
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    balance_after: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    #: A usage's: the call platform's report it comes from.
    report_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuotaRequest(Model):
    """A customer asks support for more service numbers than the licences allow. One open
    request per account (a partial unique index); agents see it and answer it."""

    __tablename__ = "quota_request"
    __table_args__ = (
        Index(
            "uq_quota_request_open",
            "account_id",
            unique=True,
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PortStatus(enum.StrEnum):
    """Where a port order stands. The losing carrier's answers move it along (the operator
    command `flask service-numbers port`)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    CONTACTING_CARRIER = "contacting_carrier"
    DATE_CONFIRMED = "date_confirmed"
    #: Inside the cut-off before the date: no edit, no cancel.
    PENDING = "pending"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class PortOrder(Model):
    """Numbers of one type (toll or toll-free) and one country that the account brings
    from another carrier."""

    __tablename__ = "port_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    country: Mapped[Country] = mapped_column(_enum(Country))
    toll_free: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PortStatus] = mapped_column(_enum(PortStatus), default=PortStatus.DRAFT)
    #: The holder: name, organisation id, contact, full address (telephony...porting).
    holder: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    losing_carrier: Mapped[str] = mapped_column(String(100), default="")
    carrier_account: Mapped[str] = mapped_column(String(60), default="")
    full_port: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The number the losing carrier bills the account under (E.164): it leaves in a full
    #: port and stays in a partial one.
    billing_number: Mapped[str] = mapped_column(String(20), default="", server_default="")
    #: Each range of the order (its first number) → "all" of it, or "part" of a larger one.
    range_scope: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: None: as soon as possible.
    requested_on: Mapped[date | None] = mapped_column(Date)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    details_saved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    numbers: Mapped[list[PortNumber]] = relationship(order_by="PortNumber.number")
    events: Mapped[list[PortEvent]] = relationship(order_by="PortEvent.id")


class PortNumber(Model):
    """A number of a port order. While its order is open (`active`), no other order may
    port it (a partial unique index)."""

    __tablename__ = "port_number"
    __table_args__ = (
        Index(
            "uq_port_number_active",
            "number",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("port_order.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    number_type: Mapped[NumberType] = mapped_column(_enum(NumberType))
    rio: Mapped[str] = mapped_column(String(12), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    rejection: Mapped[str] = mapped_column(String(300), default="")
    #: Where this number stands: the order's status, except a number the carrier rejected
    #: while accepting the others, or one taken out of the order (cancelled).
    status: Mapped[PortStatus] = mapped_column(
        _enum(PortStatus), default=PortStatus.DRAFT, server_default=PortStatus.DRAFT.value
    )
    #: The first number of the range this one was given in ("" on its own).
    range_first: Mapped[str] = mapped_column(String(20), default="", server_default="")


class PortDocument(Model):
    """A document of a port order: the signed letter of authorization, a recent bill."""

    __tablename__ = "port_document"
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("port_order.id"))
    #: loa, bill, allocation
    kind: Mapped[str] = mapped_column(String(12))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    signed_on: Mapped[date] = mapped_column(Date)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PortEvent(Model):
    """A step of a port order's timeline."""

    __tablename__ = "port_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("port_order.id"), index=True)
    status: Mapped[PortStatus] = mapped_column(_enum(PortStatus))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SmsMessage(Model):
    """A text message to a customer's mobile (a rejected port): queued, then sent by
    `flask sms send` through the configured provider, with a lease like the mail queue."""

    __tablename__ = "sms_message"
    __table_args__ = (Index("ix_sms_message_status", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    #: E.164.
    to_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(480))
    status: Mapped[EmailStatus] = mapped_column(_enum(EmailStatus), default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    provider_reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# The database raises account.data_version itself (triggers, made with the tables).
versioning.listen(Model.metadata)


# Every invoice made through the ORM copies its customer's details (after the models: it
# reads them).
from telephony.invoicing import buyer as _buyer  # noqa: E402, F401
