"""``python -m ledger``: seed-demo, remind, export-dossier, backup, restore."""
from ledger.cli import app

app()
