"""Contacts with debtors and third parties, and the promises to pay they produce."""

from arrears.contact.enums import ContactChannel, Outcome, Party, PromiseStatus

__all__ = ["ContactChannel", "Outcome", "Party", "PromiseStatus"]
