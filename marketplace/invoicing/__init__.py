"""Numbered invoices, receipts and credit notes issued to households (the treasurer's books)."""
