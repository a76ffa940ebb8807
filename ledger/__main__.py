"""``python -m ledger``: seed-demo, remind, export-dossier, review (list, decide)."""
from ledger.cli import app

app()
