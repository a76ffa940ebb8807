"""Start, watch and stop the three services: Rasa server, action server and API.

``python -m huiqi.services run``   foreground; Ctrl-C stops all three cleanly.
``python -m huiqi.services up``    start the supervisor in the background and wait until all answer.
``python -m huiqi.services stop``  stop a running supervisor (and its services).

Each service runs in its own process group (its own session); the supervisor owns the whole group:
a restart kills the group (a worker left behind by a dead parent included) and waits until the
port is free before starting again. A service is restarted when it exits, when its health check
fails ``HEALTH_FAILURES`` times in a row after it was up (stalled), or when it never comes up
within ``HEALTH_TIMEOUT_S``. Restarts back off (immediately, then up to ``BACKOFF_MAX_S``); the
supervisor never gives up on a service and never exits on its own while it is meant to run.
Events go to ``$HUIQI_DATA_DIR/log/supervisor.log``; each service logs to ``log/<name>.log``;
logs are rotated by size (``HUIQI_LOG_MAX_BYTES``, ``HUIQI_LOG_KEEP`` copies) and created 0600.

Rasa runs as ``HUIQI_RASA_PROCESSES`` (default 2) processes ``rasa-1``, ``rasa-2``… sharing one port: one
serves, the others wait fully loaded as hot standbys and the first to get the serving lock takes the
port when the server dies (``huiqi.rasa_standby``; a cold Rasa start takes 30-90 s here). The serving
one's pid is in ``run/rasa.pid``. The standbys start once the other services are up. A standby is
never counted as stalled for not answering: the port's health check speaks for the server only.

Why not supervisord/circus/honcho: none of them health-checks a service over HTTP and restarts it
when it stalls (supervisord needs a separate event-listener package for that, circus has no HTTP
check, honcho restarts nothing), and each would add a daemon with its own configuration beside the
scheduled jobs (reminders, push sync, backups) that this loop runs anyway.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import typer

from huiqi.botmodel import model_path, rasa_env
from huiqi.rasa_standby import LOCK_ENV as ENV_SERVING_LOCK
from huiqi.rasa_standby import PIDFILE_ENV as ENV_SERVING_PIDFILE
from huiqi.settings import REPO_ROOT, DataDirError, Settings, get_settings

HEALTH_TIMEOUT_S = 300      # a service must answer its health check this long after a start
HEALTH_EVERY_S = 5          # health check period of a running service
HEALTH_CHECK_TIMEOUT_S = 10  # one check fails when the answer takes longer (a busy Rasa answers late)
HEALTH_FAILURES = 4         # failed checks in a row (after the service was up, about a minute) before a restart
PORT_FREE_TIMEOUT_S = 15    # how long a restart waits for the killed group's port to be released
BACKOFF_MAX_S = 30          # longest pause between restarts of a service that keeps failing
RESTART_WINDOW_S = 300      # restarts within this window count towards the back-off
ROTATE_EVERY_S = 60         # how often log sizes are checked
BACKUP_HOUR = 2             # local hour of the nightly ledger backup
FILE_MODE = 0o600

cli = typer.Typer(add_completion=False, help="Run the Huiqitong services.")
log = logging.getLogger("huiqi.services")


def open_log(path: Path):
    """A log file opened for appending, created readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    return os.fdopen(fd, "ab")


@dataclass
class Service:
    name: str
    label: str
    port_var: str
    port: int
    cmd: list[str]
    env: dict
    health_url: str
    host: str = "127.0.0.1"
    pid_dir: Path | None = None  # <data dir>/run/<name>.pid holds the running leader's pid (= its group id)
    proc: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)
    started_at: float = 0.0
    up: bool = False            # answered its health check since the last start
    failures: int = 0           # failed health checks in a row
    last_check: float = 0.0
    next_start: float | None = None  # a restart is scheduled for this moment (time.monotonic())
    serving_pid_file: Path | None = None  # set for the Rasa processes: the port belongs to the pid in this file
    start_later: bool = False   # started once the other services answer (a standby)

    def start(self, log_dir: Path) -> None:
        with open_log(log_dir / f"{self.name}.log") as logfile:
            self.proc = subprocess.Popen(self.cmd, cwd=REPO_ROOT, env=self.env, stdout=logfile,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        if self.pid_dir is not None:
            self.pid_dir.mkdir(parents=True, exist_ok=True)
            (self.pid_dir / f"{self.name}.pid").write_text(str(self.proc.pid))
        self.started_at = self.last_check = time.monotonic()
        self.up, self.failures, self.next_start = False, 0, None

    def healthy(self) -> bool:
        try:
            return httpx.get(self.health_url, timeout=HEALTH_CHECK_TIMEOUT_S).status_code == 200
        except httpx.HTTPError:
            return False

    def group_alive(self) -> bool:
        if self.proc is None:
            return False
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def signal_group(self, sig: int) -> None:
        if self.proc is not None:
            signal_group(self.proc.pid, sig)  # the group id is the leader's pid (start_new_session)

    def is_standby(self) -> bool:
        """A Rasa process that does not hold the port (loading, or loaded and waiting to take over)."""
        if self.serving_pid_file is None or self.proc is None:
            return False
        try:
            return int(self.serving_pid_file.read_text()) != self.proc.pid
        except (OSError, ValueError):
            return True

    def kill_tree(self) -> bool:
        """SIGKILL the whole process group and wait until its port is free; False if it stays taken.
        A process sharing its port with a standby waits for its own group to be gone instead (the
        standby may already serve on the port)."""
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.serving_pid_file is not None:
            return not self.group_alive()
        return wait_port_free(self.host, self.port, PORT_FREE_TIMEOUT_S)

    def stop(self, grace_s: float = 15) -> None:
        """SIGTERM the group (also when the leader is gone but a child lives on), SIGKILL after the grace."""
        if self.proc is None or not self.group_alive():
            return
        self.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while self.group_alive() and time.monotonic() < deadline:
            if self.proc.poll() is None:
                try:
                    self.proc.wait(0.2)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.2)
        if self.group_alive():
            self.kill_tree()
        elif self.proc.poll() is None:
            self.proc.wait()


def socketio_origins(settings: Settings) -> list[str]:
    """Origins Rasa's socket.io accepts: the chat site, and Rasa's own address, which non-browser clients
    (python-socketio over websocket-client) send as their Origin."""
    return [*settings.cors_origins, settings.rasa_url, f"http://localhost:{settings.rasa_port}"]


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def api_command(settings: Settings, python: str | None = None) -> list[str]:
    """How the API is started: by the supervisor, and by bench/bench_api.py so that it measures what runs.
    uvicorn picks uvloop and httptools (both pinned); ``api_workers`` processes share the port."""
    return [python or str(REPO_ROOT / ".venv" / "bin" / "python"), "-m", "uvicorn", "api.app:app",
            "--host", settings.host, "--port", str(settings.api_port), "--workers", str(settings.api_workers)]


def services(settings: Settings) -> list[Service]:
    py = str(REPO_ROOT / ".venv" / "bin" / "python")
    rasa_py = str(REPO_ROOT / ".venv-rasa" / "bin" / "python")
    data_dir = str(settings.data_dir.resolve())
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), HUIQI_DATA_DIR=data_dir,
               HUIQI_ACTION_HOST=settings.action_host, HUIQI_ACTION_PORT=str(settings.action_port))
    # Secrets go through the environment (readable by the owner only), never the command line (``ps``).
    renv = dict(rasa_env(settings), HUIQI_DATA_DIR=data_dir, HUIQI_RASA_AUTH_TOKEN=settings.rasa_api_token(),
                HUIQI_CORS_ORIGINS=",".join(socketio_origins(settings)))
    model = model_path(settings)
    h = settings.host
    action_check = settings.action_url.rsplit("/", 1)[0] + "/healthz"
    run_dir = service_pid_dir(settings)
    serving = serving_pid_file(settings)
    renv.update({ENV_SERVING_LOCK: str(run_dir / "rasa.serving.lock"), ENV_SERVING_PIDFILE: str(serving)})
    rasa_cmd = [rasa_py, "-m", "huiqi.rasa_launcher", "run", "--enable-api", "--cors", *settings.cors_origins,
                "--credentials", "bot/credentials.yml", "--endpoints", "bot/endpoints.yml",
                "--model", str(model), "--interface", h, "--port", str(settings.rasa_port)]
    rasa = [Service(f"rasa-{i}", f"Rasa 对话服务（进程 {i}）", "HUIQI_RASA_PORT", settings.rasa_port, rasa_cmd, renv,
                    f"http://{h}:{settings.rasa_port}/healthz", host=h, pid_dir=run_dir, serving_pid_file=serving,
                    start_later=i > 1)
            for i in range(1, max(1, settings.rasa_processes) + 1)]
    return [
        Service("actions", "动作服务 action server", "HUIQI_ACTION_PORT", settings.action_port,
                [py, "-m", "huiqi.actions_launcher"], env, action_check, host=settings.action_host,
                pid_dir=run_dir),
        *rasa,
        Service("api", "API 与网页", "HUIQI_API_PORT", settings.api_port,
                api_command(settings, py), env, f"http://{h}:{settings.api_port}/healthz", host=h, pid_dir=run_dir),
    ]


@dataclass
class Job:
    """A periodic maintenance command run by the supervisor: every ``every_s`` seconds (the first run
    right after start-up), or, with ``hour``, once a night at that local hour."""
    name: str
    cmd: list[str]
    every_s: float
    hour: int | None = None
    last: float = float("-inf")
    proc: subprocess.Popen | None = None

    def due(self, now: float, wall: datetime | None = None) -> bool:
        if self.proc is not None and self.proc.poll() is None:
            return False
        if self.hour is not None:
            wall = wall or datetime.now()
            return wall.hour == self.hour and now - self.last >= self.every_s
        return now - self.last >= self.every_s

    def start(self, log_dir: Path, env: dict, now: float) -> None:
        self.last = now
        with open_log(log_dir / "jobs.log") as logfile:
            logfile.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {self.name}\n".encode())
            logfile.flush()
            self.proc = subprocess.Popen(self.cmd, cwd=REPO_ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)


def jobs(settings: Settings | None = None) -> list[Job]:
    """催办/升级 once an hour (the ledger sends at most one reminder per problem per working day);
    push sync once a day (expired measures withdrawn, profile changes caught); a verified online
    backup of the ledger every night, keeping the newest ``HUIQI_BACKUP_KEEP``."""
    s = settings or get_settings()
    py = str(REPO_ROOT / ".venv" / "bin" / "python")
    return [Job("reminders", [py, "-m", "ledger", "remind"], 3600),
            Job("push-sync", [py, "-m", "policies_kb", "push-sync"], 86400),
            Job("backup", [py, "-m", "ledger", "backup", str(s.backup_dir), "--keep", str(s.backup_keep)],
                20 * 3600, hour=BACKUP_HOUR)]


def rotate_log(path: Path, max_bytes: int, keep: int) -> bool:
    """Copy-and-truncate rotation (the services keep their O_APPEND file open): path → path.1 → … → path.keep."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    for i in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{i}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{i + 1}"))
    shutil.copyfile(path, path.with_name(f"{path.name}.1"))
    os.truncate(path, 0)
    return True


def rotate_logs(settings: Settings) -> None:
    for path in settings.log_dir.glob("*.log"):
        if path.name != "supervisor.log":  # rotated by its own handler
            rotate_log(path, settings.log_max_bytes, settings.log_keep)
    rotate_log(settings.log_dir / "supervisor.out", settings.log_max_bytes, settings.log_keep)


def wait_port_free(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not port_free(host, port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def preflight(settings: Settings, svcs: list[Service], need_model: bool = True) -> None:
    """Fail early, in Chinese, on what the operator can fix: data dir, ports, model."""
    try:
        settings.ensure_data_dir()
    except DataDirError as exc:
        _fail(str(exc))
    for svc in {(s.host, s.port): s for s in svcs}.values():
        if not port_free(svc.host, svc.port):
            _fail(f"端口 {svc.port} 已被占用（{svc.label}）。请关闭占用该端口的程序，"
                  f"或设置环境变量 {svc.port_var} 换一个端口后重试。")
    if need_model and not model_path(settings).exists():
        _fail(f"找不到训练好的 Rasa 模型 {model_path(settings).name}。请先运行 make train（或直接 make run）。")


def _fail(message: str) -> None:
    print(f"错误：{message}", file=sys.stderr)
    raise typer.Exit(2)


def service_pid_dir(settings: Settings) -> Path:
    return settings.data_dir / "run"


def serving_pid_file(settings: Settings) -> Path:
    """The pid of the Rasa process that holds the port (written by that process)."""
    return service_pid_dir(settings) / "rasa.pid"


def pid_file(settings: Settings) -> Path:
    return settings.data_dir / "services.pid"


def _setup_logging(settings: Settings) -> None:
    handler = logging.handlers.RotatingFileHandler(settings.log_dir / "supervisor.log", encoding="utf-8",
                                                   maxBytes=settings.log_max_bytes, backupCount=settings.log_keep)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.addHandler(logging.StreamHandler(sys.stdout))
    log.setLevel(logging.INFO)


def wait_healthy(svcs: list[Service], timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    pending = list(svcs)
    while pending and time.monotonic() < deadline:
        for svc in list(pending):
            if svc.proc is not None and svc.proc.poll() is not None:
                log.error("%s 启动失败（退出码 %s），详见日志 log/%s.log", svc.label, svc.proc.returncode, svc.name)
                return False
            if svc.healthy():
                log.info("%s 已就绪：%s", svc.label, svc.health_url)
                pending.remove(svc)
        time.sleep(1)
    return not pending


def banner(settings: Settings) -> str:
    lines = [
        "惠企通已启动：",
        f"  企业咨询页面（聊天）  {settings.api_url}/",
        f"  API 文档             {settings.api_url}/docs",
        f"  Rasa REST 接口       {settings.rasa_url}/webhooks/rest/webhook",
        "  停止：Ctrl-C 或 make stop",
    ]
    if settings.demo_mode:
        from ledger.demo import demo_logins  # demo log-ins exist only in demo mode

        lines += ["演示账号（仅演示模式）："] + [f"  {d['who']}（{d['role']}）  账号 {d['login']}  密码 {d['password']}"
                                          for d in demo_logins()]
    return "\n".join(lines)


def schedule_restart(svc: Service, reason: str, now: float) -> None:
    """Kill the service's process group, wait for its port, and schedule the new start (backing off)."""
    svc.restarts = [t for t in svc.restarts if now - t < RESTART_WINDOW_S] + [now]
    n = len(svc.restarts)
    if not svc.kill_tree():
        log.error("%s 的端口 %d 在 %d 秒内未释放，稍后重试", svc.label, svc.port, PORT_FREE_TIMEOUT_S)
    delay = 0 if n == 1 else min(2 ** (n - 1), BACKOFF_MAX_S)
    level = logging.ERROR if n > 3 else logging.WARNING
    log.log(level, "%s %s，正在重启（%s；%d 秒内第 %d 次），详见 log/%s.log", svc.label, reason,
            "立即" if delay == 0 else f"{delay} 秒后", RESTART_WINDOW_S, n, svc.name)
    svc.next_start = time.monotonic() + delay


def watch(svc: Service, settings: Settings, now: float) -> None:
    """One look at a service: start it when due, restart it when it exited, stalled or never came up."""
    if svc.next_start is not None:
        if now >= svc.next_start:
            if svc.serving_pid_file is not None or port_free(svc.host, svc.port) or svc.kill_tree():
                svc.start(settings.log_dir)
            else:
                svc.next_start = now + 1
        return
    code = svc.proc.poll() if svc.proc else None
    if svc.proc is None or code is not None:
        schedule_restart(svc, f"意外退出（退出码 {code}）", now)
        return
    if now - svc.last_check < HEALTH_EVERY_S:
        return
    svc.last_check = now
    if svc.healthy():
        if not svc.up and svc.is_standby():
            log.info("%s 已启动，作为热备加载模型后待命（%s 由另一进程应答）", svc.label, svc.health_url)
        elif not svc.up:
            log.info("%s 已就绪：%s（启动用时 %.1f 秒）", svc.label, svc.health_url, now - svc.started_at)
        svc.up, svc.failures = True, 0
    elif svc.is_standby():
        svc.failures = 0  # waiting for the port is not a stall: the serving process answers for the port
    elif svc.up:
        svc.failures += 1
        if svc.failures >= HEALTH_FAILURES:
            schedule_restart(svc, f"连续 {svc.failures} 次健康检查无响应（卡死）", now)
    elif now - svc.started_at > HEALTH_TIMEOUT_S:
        schedule_restart(svc, f"启动 {HEALTH_TIMEOUT_S} 秒后仍未就绪", now)


def supervise(settings: Settings) -> int:
    os.umask(0o077)  # logs, ledger, tracker store, backups: readable by the owner only
    svcs = services(settings)
    preflight(settings, svcs)
    _setup_logging(settings)
    pid_file(settings).write_text(str(os.getpid()))
    stopping = False
    periodic: list[Job] = []

    def _stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        first = [svc for svc in svcs if not svc.start_later]
        for svc in first:
            svc.start(settings.log_dir)
        if not wait_healthy(first):
            log.error("服务未能全部启动，正在停止。")
            return 1
        for svc in first:
            svc.up = True
        for svc in svcs:
            if svc.start_later:
                svc.start(settings.log_dir)  # watched from now on; never awaited
        log.info(banner(settings))
        periodic = jobs(settings)
        last_rotation = time.monotonic()
        while not stopping:
            time.sleep(1)
            try:  # whatever goes wrong in one round, the supervisor keeps watching
                for job in periodic:
                    if not stopping and job.due(time.monotonic()):
                        job.start(settings.log_dir, svcs[0].env, time.monotonic())
                for svc in svcs:
                    if not stopping:
                        watch(svc, settings, time.monotonic())
                if time.monotonic() - last_rotation >= ROTATE_EVERY_S:
                    last_rotation = time.monotonic()
                    rotate_logs(settings)
            except Exception:  # noqa: BLE001 — logged; the loop must go on
                log.exception("监控循环出错，继续运行")
        return 0
    finally:
        log.info("正在停止服务……")
        for job in periodic:
            if job.proc and job.proc.poll() is None:
                job.proc.terminate()
        for svc in reversed(svcs):
            svc.stop()
        pid_file(settings).unlink(missing_ok=True)
        serving_pid_file(settings).unlink(missing_ok=True)
        log.info("全部服务已停止。")


@cli.command()
def check() -> None:
    """Check the data dir and the ports before anything is built (``make run`` calls this first)."""
    settings = get_settings()
    preflight(settings, services(settings), need_model=False)


@cli.command()
def run() -> None:
    """Start the three services in the foreground."""
    raise typer.Exit(supervise(get_settings()))


@cli.command()
def up(timeout: int = typer.Option(HEALTH_TIMEOUT_S, help="Seconds to wait for all services")) -> None:
    """Start the supervisor in the background; return once every service answers its health check."""
    os.umask(0o077)
    settings = get_settings()
    svcs = services(settings)
    preflight(settings, svcs)
    out = open_log(settings.log_dir / "supervisor.out")
    proc = subprocess.Popen([sys.executable, "-m", "huiqi.services", "run"], cwd=REPO_ROOT, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _fail(f"服务启动失败，详见 {settings.log_dir}/supervisor.out 与各服务日志。")
        if all(s.healthy() for s in svcs):
            print(banner(settings))
            return
        time.sleep(1)
    proc.terminate()
    _fail(f"等待服务就绪超时（{timeout} 秒），详见 {settings.log_dir}/ 下的日志。")


@cli.command()
def stop(timeout: int = 60) -> None:
    """Stop the background supervisor and its services (also services left behind by a killed supervisor)."""
    settings = get_settings()
    path = pid_file(settings)
    pid = int(path.read_text()) if path.exists() else None
    try:
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid = None
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        if pid is not None:
            _fail(f"进程 {pid} 在 {timeout} 秒内未退出，请手动结束。")
    path.unlink(missing_ok=True)
    left = stop_leftovers(settings)
    if pid is None and not left:
        print("没有正在运行的惠企通服务。")
    else:
        print("惠企通服务已停止。" + (f"（另结束了遗留的服务：{'、'.join(left)}）" if left else ""))


def stop_leftovers(settings: Settings) -> list[str]:
    """Stop service groups whose pid file outlived their supervisor (it was killed with SIGKILL).
    A group is only signalled when its leader still runs this repository's service command."""
    stopped = []
    for svc in services(settings):
        pid_path = service_pid_dir(settings) / f"{svc.name}.pid"
        try:
            pid = int(pid_path.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            pid_path.unlink(missing_ok=True)
            continue
        if [c.decode(errors="replace") for c in cmdline[:len(svc.cmd)]] == svc.cmd:
            signal_group(pid, signal.SIGTERM)
            if not _wait_gone(pid, 15):
                signal_group(pid, signal.SIGKILL)
            stopped.append(svc.label)
        pid_path.unlink(missing_ok=True)
    serving_pid_file(settings).unlink(missing_ok=True)
    return stopped


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    cli()
