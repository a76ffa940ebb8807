"""Which conversation speaks for a business: opened by a live log-in token, closed for good by log-out."""
from __future__ import annotations

import threading
import time

import pytest

from huiqi import tokens
from huiqi.errors import NotFound
from huiqi.token_digest import token_digest
from ledger import auth_sessions, chat_sessions
from ledger.db import connect
from ledger.demo import credit_code_of
from tests.fixtures.demo_env import demo_env


def test_a_turn_in_flight_cannot_reopen_a_conversation_the_business_logged_out_of(tmp_path):
    with demo_env(tmp_path) as settings:
        code = credit_code_of("shunda")
        db = connect(settings=settings)
        claims = tokens.verify(auth_sessions.issue_token(db, code, "enterprise", settings), settings)
        assert chat_sessions.speak_for(db, "conv-1", claims)["credit_code"] == code
        assert chat_sessions.open_sessions(db, [code]) == {code: "conv-1"}

        # The log-out is under way (its write transaction holds the lock) while a turn of the same
        # conversation verifies the token: the turn must wait and then see the ended session.
        turn_db = connect(settings=settings)
        assert auth_sessions.token_is_live(turn_db, claims)  # a connection in use, as the action server's are
        logout = connect(settings=settings)
        logout.conn.execute("BEGIN IMMEDIATE")
        auth_sessions.end(logout, claims["sid"], "logout")
        chat_sessions.close(logout, "conv-1")
        seen = {}
        turn = threading.Thread(target=lambda: seen.update(
            row=chat_sessions.speak_for(turn_db, "conv-1", claims)))
        turn.start()
        time.sleep(0.5)  # let the turn reach the ledger while the log-out is uncommitted
        logout.conn.execute("COMMIT")
        turn.join(30)

        assert seen == {"row": None}
        assert chat_sessions.open_sessions(db, [code]) == {}


def test_log_out_of_someone_elses_conversation_is_not_found_and_ends_only_the_callers_session(tmp_path):
    with demo_env(tmp_path) as settings:
        db = connect(settings=settings)
        shunda, eroad = credit_code_of("shunda"), credit_code_of("eroad")
        theirs = tokens.verify(auth_sessions.issue_token(db, eroad, "enterprise", settings), settings)
        mine = tokens.verify(auth_sessions.issue_token(db, shunda, "enterprise", settings), settings)
        chat_sessions.speak_for(db, "conv-eroad", theirs)
        with pytest.raises(NotFound) as refused:
            chat_sessions.log_out(db, "conv-eroad", mine)
        assert refused.value.code == "CHAT_SESSION_NOT_FOUND"
        assert chat_sessions.open_sessions(db, [eroad]) == {eroad: "conv-eroad"}
        assert not auth_sessions.token_is_live(db, mine) and auth_sessions.token_is_live(db, theirs)


def test_the_chat_finds_a_log_in_by_its_token_digest_and_only_while_it_lives(tmp_path):
    with demo_env(tmp_path) as settings:
        code = credit_code_of("shunda")
        db = connect(settings=settings)
        token = auth_sessions.issue_token(db, code, "enterprise", settings)
        digest = token_digest(token)
        assert chat_sessions.speak_for_digest(db, "conv-d", digest)["credit_code"] == code
        assert not chat_sessions.login_lapsed(db, digest)
        # a staff log-in never speaks for a business in the chat
        staff = token_digest(auth_sessions.issue_token(db, "zhangwei", "cadre", settings))
        assert chat_sessions.speak_for_digest(db, "conv-s", staff) is None
        # log-out ends it, without calling it lapsed (the greeting then treats the user as anonymous)
        auth_sessions.end(db, tokens.verify(token, settings)["sid"])
        assert chat_sessions.speak_for_digest(db, "conv-d", digest) is None
        assert not chat_sessions.login_lapsed(db, digest)
        # a digest of no token we issued, and a session whose time is up, are lapsed
        assert chat_sessions.login_lapsed(db, token_digest(token + "x"))
        old = token_digest(auth_sessions.issue_token(db, code, "enterprise", settings.model_copy(update={"token_minutes": -1})))
        assert chat_sessions.speak_for_digest(db, "conv-d", old) is None and chat_sessions.login_lapsed(db, old)
        db.close()


def test_a_sessions_table_from_before_token_digests_gains_the_column(tmp_path):
    with demo_env(tmp_path) as settings:
        db = connect(settings=settings)
        db.execute("DROP TABLE IF EXISTS auth_sessions")
        db.execute("CREATE TABLE auth_sessions (sid TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, "
                   "role TEXT NOT NULL, issued_at TEXT NOT NULL, expires_at TEXT NOT NULL, ended_at TEXT, ended_reason TEXT)")
        db.execute("INSERT INTO auth_sessions VALUES ('old', 'staff', 'zhangwei', 'cadre', '2026-01-01T00:00:00+08:00', "
                   "'2026-01-02T00:00:00+08:00', NULL, NULL)")
        db.conn.commit()
        db.close()
        db = connect(settings=settings)
        token = auth_sessions.issue_token(db, credit_code_of("shunda"), "enterprise", settings)
        assert chat_sessions.speak_for_digest(db, "conv-m", token_digest(token)) is not None
        assert db.execute("SELECT count(*) FROM auth_sessions WHERE sid = 'old'").fetchone()[0] == 1
        db.close()
