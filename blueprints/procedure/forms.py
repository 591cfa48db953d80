"""The forms only parse: every rule on the values lives in telephony.procedure."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)

from blueprints.forms import BaseForm


class ProcedureForm(BaseForm):
    # Translators: the person or organisation holding the bank account to debit.
    holder_name = StringField(_l("Name of the account holder"))
    holder_street = StringField(_l("Street and number"))
    holder_postcode = StringField(_l("Postcode"))
    holder_city = StringField(_l("Town or city"))
    holder_country = SelectField(_l("Country"), validate_choice=False)
    iban = StringField(_l("IBAN"))
    # Translators: the bank's BIC (SWIFT) code; the customer may leave it empty.
    bic = StringField(_l("BIC (optional)"))
    currency = RadioField(_l("Currency of the account"), validate_choice=False)
    customer_kind = RadioField(_l("Kind of customer"), validate_choice=False)
    organisation_id = StringField(_l("Organisation identifier"))
    document_locale = SelectField(_l("Language of the document"), validate_choice=False)
    submit = SubmitField(_l("Create the document"))


class StatusForm(BaseForm):
    #: The procedure as the agent saw it (telephony.procedure.version_of).
    version = HiddenField()
    status = RadioField(_l("New status"), validate_choice=False)
    # Translators: why an agent rejects or cancels a procedure; the customer reads it.
    reason = TextAreaField(_l("Reason (required to reject or cancel)"))
    submit = SubmitField(_l("Change the status"))


class BillingContactForm(BaseForm):
    # Translators: the person who receives the invoices and service e-mails.
    contact_name = StringField(_l("Name of the billing contact"))
    contact_email = EmailField(_l("E-mail address of the billing contact"))
    submit = SubmitField(_l("Change the billing contact"))
