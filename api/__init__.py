"""FastAPI app: thin HTTP adapters over ``ledger`` and ``policies_kb``."""
