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

Connections are pooled and the SQL is plain. SQLAlchemy 1.4 gives a SQLite file a ``NullPool``: every
read and every write opened a connection (and ran the pragmas), and closing the last one checkpointed
and deleted the WAL, holding the GIL, on every turn; with the ORM's query building that was about a
sixth of Rasa's CPU under 30 concurrent conversations (py-spy). The queries are Rasa's own
(``_event_query``: the events since the latest ``session_started``, in id order; ``_additional_events``:
only the events not stored yet), written out; ``tests/test_actions_rasa_ext.py`` checks that Rasa's
SQLTrackerStore reads what this one writes and the other way round.

Named in ``bot/endpoints.yml`` as ``type: bot.rasa_ext.tracker_store.WalSQLTrackerStore``; any other
SQL dialect is left as Rasa configures it.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

PRAGMAS = ("PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000")
POOL_SIZE = 4  # the event loop's reads plus the writer threads; more wait for a free connection

# Rasa's SQLTrackerStore._event_query (events of the latest conversation session, in id order) as plain SQL.
SESSION_START = f"SELECT max(timestamp) FROM events WHERE sender_id = ? AND type_name = '{SessionStarted.type_name}'"
EVENTS_SINCE = "SELECT {what} FROM events WHERE sender_id = ? AND timestamp >= ? ORDER BY id"
ALL_EVENTS = "SELECT {what} FROM events WHERE sender_id = ? ORDER BY id"
INSERT = ("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
          " VALUES (?, ?, ?, ?, ?, ?)")


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _session_events(cursor: Any, sender_id: Text, what: Text, all_sessions: bool = False) -> List[tuple]:
    start = None if all_sessions else cursor.execute(SESSION_START, [sender_id]).fetchone()[0]
    if start is None:
        return cursor.execute(ALL_EVENTS.format(what=what), [sender_id]).fetchall()
    return cursor.execute(EVENTS_SINCE.format(what=what), [sender_id, start]).fetchall()


class WalSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sqlite = self.engine.dialect.name == "sqlite"
        if self.sqlite:
            # SQLAlchemy 1.4 gives a SQLite file a NullPool: a new connection for every read and write, and
            # closing the last one checkpoints and removes the WAL, with the GIL held, on every turn.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=POOL_SIZE, max_overflow=0,
                                           pool_timeout=60, connect_args={"check_same_thread": False})
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            sa.event.listen(self.engine, "connect", _on_connect)
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")  # kept in the file from now on

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's SQLTrackerStore._retrieve, in plain SQL on a pooled connection (SQLite)."""
        if not self.sqlite:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        connection = self.engine.raw_connection()
        try:
            rows = _session_events(connection.cursor(), sender_id, "data", fetch_events_from_all_sessions)
        finally:
            connection.close()  # back to the pool
        if not (self.domain and rows):
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data, in rows], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save, with the database write off the event loop."""
        await self.stream_events(tracker)
        await asyncio.get_running_loop().run_in_executor(None, self._write_new_events, tracker)

    def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        if not self.sqlite:
            return self._write_new_events_orm(tracker)
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            stored = len(_session_events(cursor, tracker.sender_id, "id"))  # Rasa's _additional_events
            rows = [self._row(tracker.sender_id, event) for event in list(tracker.events)[stored:]]
            if rows:
                cursor.executemany(INSERT, rows)
            connection.commit()
        finally:
            connection.close()

    @staticmethod
    def _row(sender_id: Text, event: Any) -> tuple:
        data: Dict[Text, Any] = event.as_dict()
        return (sender_id, event.type_name, data.get("timestamp"),
                data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY), data.get("name"), json.dumps(data))

    def _write_new_events_orm(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):  # only the events not stored yet
                sender_id, type_name, timestamp, intent_name, action_name, data = self._row(tracker.sender_id, event)
                session.add(self.SQLEvent(sender_id=sender_id, type_name=type_name, timestamp=timestamp,
                                          intent_name=intent_name, action_name=action_name, data=data))
            session.commit()
