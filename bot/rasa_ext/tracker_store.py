"""Rasa's SQL tracker store on SQLite in write-ahead-log mode.

Rasa opens the SQLite file in its default rollback-journal mode: every turn's commit writes and
syncs a journal file, the database and the directory, and the server's event loop waits for all of
it (the tracker store is called synchronously inside the turn). Under 30 concurrent conversations
the commits took about a tenth of Rasa's time (py-spy, README "Chat latency"). In WAL mode a commit
appends to one file and syncs it once; ``synchronous=FULL`` stays, so a turn the user was answered
for survives a power cut as before. Readers (the review queue) are not blocked by the writer.

Named in ``bot/endpoints.yml`` as ``type: bot.rasa_ext.tracker_store.WalSQLTrackerStore``; any other
SQL dialect is left as Rasa configures it.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

PRAGMAS = ("PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000")


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


class WalSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _on_connect)
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")  # kept in the file from now on
