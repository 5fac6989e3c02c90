"""SEPA direct debits through the group's own bank (no payment provider), and bank statements."""
