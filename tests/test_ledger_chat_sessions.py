"""Which conversation speaks for a business: opened by a live log-in token, closed for good by log-out."""
from __future__ import annotations

import threading
import time

import pytest

from huiqi import tokens
from huiqi.errors import NotFound
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
