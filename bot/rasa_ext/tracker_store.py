"""Rasa's SQL tracker store on SQLite in write-ahead-log mode.

Rasa opens the SQLite file in its default rollback-journal mode: every turn's commit writes and
syncs a journal file, the database and the directory, and the server's event loop waits for all of
it (the tracker store is called synchronously inside the turn). Under 30 concurrent conversations
the commits took about a tenth of Rasa's time (py-spy, README "Chat latency"). In WAL mode a commit
appends to one file and syncs it once; ``synchronous=FULL`` stays, so a turn the user was answered
for survives a power cut as before. Readers (the review queue) are not blocked by the writer.

The write itself runs in a worker thread: Rasa's ``save`` is a coroutine that does its SQL (and so
the fsync) on the event loop, which held every other conversation for the length of each sync
(16% of the server's time in a py-spy profile of the conversation suite). The turn still waits for
its own save, as before; Rasa's lock store still lets one turn of a conversation run at a time.

Named in ``bot/endpoints.yml`` as ``type: bot.rasa_ext.tracker_store.WalSQLTrackerStore``; any other
SQL dialect is left as Rasa configures it.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

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

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save, with the database write off the event loop."""
        await self.stream_events(tracker)
        await asyncio.get_running_loop().run_in_executor(None, self._write_new_events, tracker)

    def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):  # only the events not stored yet
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()
