"""Aging (账龄): DPD buckets, bucket history, the as-of pass, payment flows and the quote."""

from arrears.delinquency.buckets import STANDARD_BUCKETS, BucketSet, BucketSpec
from arrears.delinquency.daily_pass import PassReport, recompute_loans, run_pass
from arrears.delinquency.flows import post_payment, reverse_payment
from arrears.delinquency.quote import QuoteRequest, QuoteResult, load_request, quote

__all__ = [
    "STANDARD_BUCKETS",
    "BucketSet",
    "BucketSpec",
    "PassReport",
    "QuoteRequest",
    "QuoteResult",
    "load_request",
    "post_payment",
    "quote",
    "recompute_loans",
    "reverse_payment",
    "run_pass",
]
