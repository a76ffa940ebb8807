"""``python -m ledger``: seed-demo, remind, export-dossier, backup, restore, review (list, decide)."""
from ledger.cli import app

app()
