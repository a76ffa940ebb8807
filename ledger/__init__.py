"""Enterprise dossiers (一企一档): enterprises, staff, pairings, problems with their event log,
visits, policy pushes. SQLite through sqlite-utils; no FastAPI or Rasa imports here."""
