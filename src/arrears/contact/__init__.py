"""Contacts with debtors and third parties, and the promises to pay they produce."""
