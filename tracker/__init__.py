"""tracker: a ledger of signed contracts and their dated obligations, with renewal alerts."""

__version__ = "0.1.0"
