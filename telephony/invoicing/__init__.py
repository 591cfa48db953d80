"""Invoices: their numbers, the account's list of them, paying them, and what each
document carries (telephony.invoicing.document; the PDF is documents.invoice)."""
