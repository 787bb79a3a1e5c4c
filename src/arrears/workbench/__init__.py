"""The collector's day, read side: today's queue and everything one case page shows.

A use-case layer over the domains (ledger, contact, compliance, strategy,
portfolio): it reads, it never decides. Pages and the API render what it returns.
"""
