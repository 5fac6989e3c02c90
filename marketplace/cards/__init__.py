"""Card and SEPA direct-debit payments through Stripe (or a local localstripe server)."""
