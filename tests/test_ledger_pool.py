"""Pooled ledger connections (the API's per-request connection): reused, never handed out inside a
transaction, bounded."""
from huiqi.settings import Settings
from ledger.pool import ConnectionPool, pool_for


def test_a_returned_connection_is_reused_and_an_open_transaction_is_rolled_back(tmp_path):
    s = Settings(data_dir=tmp_path)
    pool = ConnectionPool(s.ledger_path, max_idle=1)
    db = pool.acquire(s)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO staff (login, name, role, office, password_hash, created_at) "
               "VALUES ('x1', 'X', 'cadre', '科', 'h', 'now')")
    pool.release(db)  # a request that failed half-way
    again = pool.acquire(s)
    assert again is db and not again.conn.in_transaction
    assert again.execute("SELECT count(*) FROM staff WHERE login = 'x1'").fetchone()[0] == 0
    other = pool.acquire(s)  # the pool is empty: a new connection
    assert other is not again
    pool.release(again)
    pool.release(other)  # over max_idle: closed, not kept
    assert len(pool._idle) == 1
    pool.close()


def test_the_pool_gives_each_concurrent_user_its_own_connection(tmp_path):
    s = Settings(data_dir=tmp_path)
    pool = pool_for(s)
    a, b = pool.acquire(s), pool.acquire(s)
    assert a is not b
    pool.release(a)
    pool.release(b)
    c = pool.acquire(s)
    assert c in (a, b)
    pool.release(c)
    pool.close()
