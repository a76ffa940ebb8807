"""The supervisor owns its services' process trees: a killed parent's orphaned worker does not keep
the port, a stalled service is restarted, nothing makes the supervisor give up; no secret is on a
command line; the action server is bound to loopback; Rasa's CORS is the site's; logs rotate.

The service here is a real two-process program shaped like Sanic's manager/worker: the parent forks
a worker that binds the port and answers /healthz, then only waits.
"""
from __future__ import annotations

import os
import signal
import socket
import stat
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from huiqi import services as sup
from huiqi.rasa_standby import ready_standbys
from huiqi.settings import Settings

MANAGER_AND_WORKER = r'''
import http.server, os, sys, time
port = int(sys.argv[1])
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
if os.fork() == 0:
    http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
else:
    while True:
        time.sleep(1)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout_s: float = 20) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _program(tmp_path, monkeypatch, name: str, source: str) -> tuple[Path, int, Settings]:
    """A test program written to ``name``, a free port for it, a data dir, and health checks without pauses."""
    monkeypatch.setattr(sup, "HEALTH_EVERY_S", 0)
    monkeypatch.setattr(sup, "HEALTH_CHECK_TIMEOUT_S", 0.5)
    script = tmp_path / name
    script.write_text(source)
    settings = Settings(data_dir=tmp_path / "data")
    settings.ensure_data_dir()
    return script, _free_port(), settings


@pytest.fixture()
def service(tmp_path, monkeypatch):
    script, port, settings = _program(tmp_path, monkeypatch, "svc.py", MANAGER_AND_WORKER)
    svc = sup.Service("demo", "演示服务", "HUIQI_DEMO_PORT", port, [sys.executable, str(script), str(port)],
                      dict(os.environ), f"http://127.0.0.1:{port}/", pid_dir=tmp_path / "run")
    svc.start(settings.log_dir)
    assert _wait(svc.healthy), "the test service did not come up"
    svc.up = True
    yield svc, settings
    svc.stop(grace_s=2)


def _worker_pid(port: int) -> int:
    """PID of the process listening on the port (from /proc)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if int(parts[1].split(":")[1], 16) == port and parts[3] == "0A":
            inode = parts[9]
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            for fd in fd_dir.iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return int(fd_dir.parent.name)
        except OSError:
            continue
    raise AssertionError(f"nothing listens on {port}")


def test_kill_9_of_the_parent_frees_the_port_and_the_service_comes_back(service):
    svc, settings = service
    old_worker = _worker_pid(svc.port)
    assert old_worker != svc.proc.pid  # the worker is a child, as with Sanic's manager
    os.kill(svc.proc.pid, signal.SIGKILL)
    svc.proc.wait()
    assert svc.healthy()  # the orphan still holds the port: what used to block every restart

    for _ in range(3):  # exit noticed, group killed, port freed, started again
        sup.watch(svc, settings, time.monotonic())
        if svc.next_start is None and svc.proc.poll() is None:
            break
    assert _wait(svc.healthy)
    assert _worker_pid(svc.port) != old_worker
    assert _gone(old_worker)
    assert (svc.pid_dir / "demo.pid").read_text() == str(svc.proc.pid)


def test_a_stalled_service_is_restarted_after_failed_health_checks(service):
    svc, settings = service
    stalled_pid = svc.proc.pid
    os.killpg(stalled_pid, signal.SIGSTOP)  # alive, port taken, answers nothing
    for _ in range(sup.HEALTH_FAILURES - 1):
        sup.watch(svc, settings, time.monotonic())
        assert svc.proc.pid == stalled_pid and svc.next_start is None
    sup.watch(svc, settings, time.monotonic())  # the last failed check: killed, restart scheduled
    assert svc.next_start is not None
    sup.watch(svc, settings, time.monotonic() + sup.BACKOFF_MAX_S)
    assert svc.proc.pid != stalled_pid
    assert _wait(svc.healthy)


def test_a_service_that_keeps_dying_is_retried_with_a_bounded_back_off(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    settings.ensure_data_dir()
    svc = sup.Service("dying", "总是退出的服务", "X", _free_port(), [sys.executable, "-c", "raise SystemExit(3)"],
                      dict(os.environ), "http://127.0.0.1:1/")
    svc.start(settings.log_dir)
    clock = time.monotonic()
    starts = 0
    for _ in range(40):  # more failures than the old supervisor tolerated before stopping everything
        svc.proc.wait()
        clock += sup.BACKOFF_MAX_S
        before = svc.proc
        sup.watch(svc, settings, clock)   # exit noticed: restart scheduled
        sup.watch(svc, settings, clock + sup.BACKOFF_MAX_S)  # due: started again
        starts += svc.proc is not before
    assert starts == 40
    assert svc.next_start is None


def test_no_secret_on_a_command_line_and_every_service_on_loopback(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="s3cret-key-for-this-test")
    svcs = {s.name: s for s in sup.services(settings)}
    secrets = (settings.rasa_api_token(), settings.action_token(), settings.secret_key)
    for svc in svcs.values():
        assert not any(secret in arg for arg in svc.cmd for secret in secrets), svc.name
        assert svc.host == "127.0.0.1"
    rasa = svcs["rasa-1"]
    assert rasa.env["HUIQI_RASA_AUTH_TOKEN"] == settings.rasa_api_token()
    assert rasa.env["HUIQI_ACTION_TOKEN"] == settings.action_token()
    assert rasa.env["HUIQI_CORS_ORIGINS"].split(",") == [
        settings.api_url, f"http://localhost:{settings.api_port}", settings.rasa_url,
        f"http://localhost:{settings.rasa_port}"]
    cors = rasa.cmd[rasa.cmd.index("--cors") + 1:rasa.cmd.index("--credentials")]
    assert cors == [settings.api_url, f"http://localhost:{settings.api_port}"] and "*" not in cors
    site = Settings(data_dir=tmp_path, site_origins="https://hqt.jtj.example.gov.cn/, https://www.example.gov.cn")
    assert site.cors_origins == ["https://hqt.jtj.example.gov.cn", "https://www.example.gov.cn"]


def test_logs_rotate_by_size_while_a_writer_keeps_its_file_open(tmp_path):
    log = tmp_path / "svc.log"
    writer = sup.open_log(log)
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    writer.write(b"x" * 2000)
    writer.flush()
    assert sup.rotate_log(log, max_bytes=1000, keep=2)
    writer.write(b"after\n")
    writer.flush()
    assert log.read_bytes() == b"after\n"  # appends at the new end, no hole of zeros
    assert (tmp_path / "svc.log.1").stat().st_size == 2000
    writer.write(b"y" * 2000)
    writer.flush()
    assert sup.rotate_log(log, max_bytes=1000, keep=2)
    assert (tmp_path / "svc.log.2").stat().st_size == 2000
    assert not sup.rotate_log(log, max_bytes=1000, keep=2)
    writer.close()


def test_the_nightly_backup_job_runs_once_a_night_at_its_hour(tmp_path):
    job = {j.name: j for j in sup.jobs(Settings(data_dir=tmp_path))}["backup"]
    assert job.cmd[-4:] == ["backup", str(tmp_path / "backups"), "--keep", "14"]
    night, noon = datetime(2026, 12, 5, sup.BACKUP_HOUR, 10), datetime(2026, 12, 5, 12, 0)
    assert not job.due(1000.0, noon)
    assert job.due(1000.0, night)
    job.last = 1000.0
    assert not job.due(1000.0 + 3600, night)  # not twice in the same night
    assert job.due(1000.0 + 86400, night)


def test_data_dir_and_logs_are_owner_only(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    Settings(data_dir=data).ensure_data_dir()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "log").stat().st_mode) == 0o700


def test_action_server_binds_loopback_and_wants_the_token(tmp_path):
    port = _free_port()
    settings = Settings(data_dir=tmp_path, action_port=port)
    env = dict(os.environ, HUIQI_DATA_DIR=str(tmp_path), HUIQI_ACTION_PORT=str(port), PYTHONPATH=str(sup.REPO_ROOT))
    proc = sup.subprocess.Popen([sys.executable, "-m", "huiqi.actions_launcher"], cwd=sup.REPO_ROOT, env=env,
                                stdout=sup.subprocess.DEVNULL, stderr=sup.subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait(lambda: _get(base + "/healthz") == 200, 120), "action server did not start"
        assert _get(base + "/actions") == 401
        assert _get(base + "/actions?token=wrong") == 401
        assert _get(f"{base}/actions?token={settings.action_token()}") == 200
        refused = httpx.post(base + "/webhook", json={"next_action": "action_file_complaint", "tracker": {}})
        assert refused.status_code == 401
        listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                     if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port]
        assert listening == ["0100007F:%04X" % port]  # 127.0.0.1 only, not 0.0.0.0
        assert len([p for p in Path("/proc").glob("[0-9]*") if _pgid(p) == proc.pid]) == 1  # one process
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def _gone(pid: int) -> bool:
    """Dead: no such process, or a zombie waiting for its reaper."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _get(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return None


def _pgid(proc_dir: Path) -> int | None:
    try:
        return os.getpgid(int(proc_dir.name))
    except (ProcessLookupError, ValueError, PermissionError):
        return None


def test_stop_ends_services_left_behind_by_a_killed_supervisor_and_nothing_else(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", api_port=_free_port(), rasa_port=_free_port(),
                        action_port=_free_port())
    settings.ensure_data_dir()
    api = {s.name: s for s in sup.services(settings)}["api"]
    api.start(settings.log_dir)  # its supervisor then died with SIGKILL: the service and its pid file remain
    assert _wait(api.healthy, 120), "the API did not start"
    bystander = sup.subprocess.Popen(["sleep", "60"])
    (sup.service_pid_dir(settings) / "rasa-1.pid").write_text(str(bystander.pid))  # a stale pid, reused
    try:
        stopped = sup.stop_leftovers(settings)
        assert stopped == [api.label]
        assert _wait(lambda: sup.port_free("127.0.0.1", settings.api_port), 15)
        assert bystander.poll() is None  # not one of ours: left alone
        assert list(sup.service_pid_dir(settings).glob("*.pid")) == []
    finally:
        bystander.kill()
        api.stop(grace_s=2)


STANDBY_SERVER = r'''
import asyncio, os, sys
from huiqi.rasa_standby import ServingLock
port = int(sys.argv[1])
lock = ServingLock.from_environ(dict(os.environ))

async def answer(reader, writer):
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    body = str(os.getpid()).encode()
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()

async def main():
    await lock.acquire("127.0.0.1", port, poll_s=0.05)   # as Rasa does once its model is loaded
    server = await asyncio.start_server(answer, "127.0.0.1", port)
    lock.announce()
    await server.serve_forever()

asyncio.run(main())
'''


def _served_by(port: int) -> int | None:
    try:
        return int(httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text)
    except (httpx.HTTPError, ValueError):
        return None


@pytest.fixture()
def pair(tmp_path, monkeypatch):
    """Two processes shaped like the Rasa pair: each takes the serving lock, then binds the one port."""
    script, port, settings = _program(tmp_path, monkeypatch, "standby_server.py", STANDBY_SERVER)
    run = tmp_path / "run"
    serving = run / "rasa.pid"
    env = dict(os.environ, PYTHONPATH=str(sup.REPO_ROOT), HUIQI_RASA_SERVING_LOCK=str(run / "rasa.serving.lock"),
               HUIQI_RASA_SERVING_PIDFILE=str(serving))
    svcs = [sup.Service(f"rasa-{i}", f"进程 {i}", "X", port, [sys.executable, str(script), str(port)], env,
                        f"http://127.0.0.1:{port}/", pid_dir=run, serving_pid_file=serving) for i in (1, 2)]
    for svc in svcs:
        svc.start(settings.log_dir)
    assert _wait(lambda: _served_by(port) is not None and len(ready_standbys(serving)) == 1), "no pair came up"
    for svc in svcs:
        svc.up = True
    yield svcs, settings, port, serving
    for svc in svcs:
        svc.stop(grace_s=2)


def test_kill_9_of_the_serving_process_the_standby_takes_the_port_at_once_and_a_new_standby_follows(pair):
    svcs, settings, port, serving = pair
    server = next(s for s in svcs if not s.is_standby())
    standby = next(s for s in svcs if s.is_standby())
    assert _served_by(port) == server.proc.pid == int(serving.read_text())
    assert ready_standbys(serving) == [standby.proc.pid]
    os.kill(server.proc.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert _wait(lambda: _served_by(port) == standby.proc.pid, 5), "the standby did not take over"
    assert time.monotonic() - killed_at < 2
    assert int(serving.read_text()) == standby.proc.pid
    for _ in range(3):  # the supervisor notices the exit and starts a new process, which waits as the standby
        sup.watch(server, settings, time.monotonic())
        if server.next_start is None and server.proc.poll() is None:
            break
    assert server.proc.poll() is None
    assert _wait(lambda: ready_standbys(serving) == [server.proc.pid])
    assert server.is_standby() and not standby.is_standby()
    os.kill(standby.proc.pid, signal.SIGKILL)  # and once more, the other way round
    assert _wait(lambda: _served_by(port) == server.proc.pid, 5)


def test_a_stalled_server_is_replaced_by_the_standby_and_the_standby_is_never_counted_as_stalled(pair):
    svcs, settings, port, serving = pair
    server = next(s for s in svcs if not s.is_standby())
    standby = next(s for s in svcs if s.is_standby())
    stalled_pid = server.proc.pid
    os.killpg(stalled_pid, signal.SIGSTOP)  # alive, holding the lock and the port, answering nothing
    for _ in range(sup.HEALTH_FAILURES):
        sup.watch(standby, settings, time.monotonic())
        sup.watch(server, settings, time.monotonic())
    assert standby.failures == 0 and standby.next_start is None and standby.proc.poll() is None
    assert server.next_start is not None  # killed after the last failed check; restart scheduled
    assert _wait(lambda: _served_by(port) == standby.proc.pid, 5)
    sup.watch(server, settings, time.monotonic() + sup.BACKOFF_MAX_S)
    assert server.proc.pid != stalled_pid and _wait(lambda: ready_standbys(serving) == [server.proc.pid])


def test_rasa_runs_as_a_serving_process_and_a_standby_started_after_the_others(tmp_path):
    svcs = sup.services(Settings(data_dir=tmp_path))
    rasa = [s for s in svcs if s.name.startswith("rasa-")]
    assert [s.start_later for s in rasa] == [False, True]
    assert rasa[0].cmd == rasa[1].cmd and rasa[0].port == rasa[1].port
    assert rasa[0].env["HUIQI_RASA_SERVING_LOCK"] == str(tmp_path / "run" / "rasa.serving.lock")
    assert rasa[0].serving_pid_file == tmp_path / "run" / "rasa.pid"
    assert len([s for s in sup.services(Settings(data_dir=tmp_path, rasa_processes=1)) if s.name.startswith("rasa")]) == 1
