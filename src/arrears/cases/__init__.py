"""Collection cases (案件): one per borrower per tenant, and who works them."""
