"""``python -m ledger``: seed-demo, remind, export-dossier."""
from ledger.cli import app

app()
