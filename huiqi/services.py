"""Start, watch and stop the three services: Rasa server, action server and API.

``python -m huiqi.services run``   foreground; Ctrl-C stops all three cleanly.
``python -m huiqi.services up``    start the supervisor in the background and wait until all answer.
``python -m huiqi.services stop``  stop a running supervisor (and its services).

A service that dies is restarted (with a growing pause) and the event is written to
``$HUIQI_DATA_DIR/log/supervisor.log``; each service logs to ``$HUIQI_DATA_DIR/log/<name>.log``.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import typer

from huiqi.botmodel import model_path, rasa_env
from huiqi.settings import REPO_ROOT, DataDirError, Settings, get_settings

HEALTH_TIMEOUT_S = 300
RESTART_LIMIT = 5  # restarts within RESTART_WINDOW_S before the supervisor gives up on a service
RESTART_WINDOW_S = 300

cli = typer.Typer(add_completion=False, help="Run the Huiqitong services.")
log = logging.getLogger("huiqi.services")


@dataclass
class Service:
    name: str
    label: str
    port_var: str
    port: int
    cmd: list[str]
    env: dict
    health_url: str
    proc: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, log_dir: Path) -> None:
        logfile = open(log_dir / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(self.cmd, cwd=REPO_ROOT, env=self.env, stdout=logfile,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        logfile.close()

    def healthy(self) -> bool:
        try:
            return httpx.get(self.health_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, grace_s: float = 15) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def services(settings: Settings) -> list[Service]:
    py = str(REPO_ROOT / ".venv" / "bin" / "python")
    rasa_py = str(REPO_ROOT / ".venv-rasa" / "bin" / "python")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), HUIQI_DATA_DIR=str(settings.data_dir.resolve()))
    model = model_path(settings)
    h = settings.host
    return [
        Service("actions", "动作服务 action server", "HUIQI_ACTION_PORT", settings.action_port,
                [py, "-m", "huiqi.actions_launcher", "--actions", "actions", "--port", str(settings.action_port)],
                env, f"http://{h}:{settings.action_port}/healthz"),
        Service("rasa", "Rasa 对话服务", "HUIQI_RASA_PORT", settings.rasa_port,
                [rasa_py, "-m", "huiqi.rasa_launcher", "run", "--enable-api", "--cors", "*",
                 "--credentials", "bot/credentials.yml", "--endpoints", "bot/endpoints.yml",
                 "--model", str(model), "--interface", h, "--port", str(settings.rasa_port),
                 "--auth-token", settings.rasa_api_token()],
                dict(rasa_env(settings), HUIQI_DATA_DIR=env["HUIQI_DATA_DIR"]), f"http://{h}:{settings.rasa_port}/healthz"),
        Service("api", "API 与网页", "HUIQI_API_PORT", settings.api_port,
                [py, "-m", "uvicorn", "api.app:app", "--host", h, "--port", str(settings.api_port)],
                env, f"http://{h}:{settings.api_port}/healthz"),
    ]


@dataclass
class Job:
    """A periodic maintenance command run by the supervisor (first run right after start-up)."""
    name: str
    cmd: list[str]
    every_s: float
    last: float = float("-inf")
    proc: subprocess.Popen | None = None

    def due(self, now: float) -> bool:
        return (self.proc is None or self.proc.poll() is not None) and now - self.last >= self.every_s

    def start(self, log_dir: Path, env: dict, now: float) -> None:
        self.last = now
        logfile = open(log_dir / "jobs.log", "ab")
        logfile.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {self.name}\n".encode())
        logfile.flush()
        self.proc = subprocess.Popen(self.cmd, cwd=REPO_ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)
        logfile.close()


def jobs() -> list[Job]:
    """催办/升级 once an hour (the ledger sends at most one reminder per problem per working day);
    push sync once a day (expired measures withdrawn, profile changes caught)."""
    py = str(REPO_ROOT / ".venv" / "bin" / "python")
    return [Job("reminders", [py, "-m", "ledger", "remind"], 3600),
            Job("push-sync", [py, "-m", "policies_kb", "push-sync"], 86400)]


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
    for svc in svcs:
        if not port_free(settings.host, svc.port):
            _fail(f"端口 {svc.port} 已被占用（{svc.label}）。请关闭占用该端口的程序，"
                  f"或设置环境变量 {svc.port_var} 换一个端口后重试。")
    if need_model and not model_path(settings).exists():
        _fail(f"找不到训练好的 Rasa 模型 {model_path(settings).name}。请先运行 make train（或直接 make run）。")


def _fail(message: str) -> None:
    print(f"错误：{message}", file=sys.stderr)
    raise typer.Exit(2)


def pid_file(settings: Settings) -> Path:
    return settings.data_dir / "services.pid"


def _setup_logging(settings: Settings) -> None:
    handler = logging.FileHandler(settings.log_dir / "supervisor.log", encoding="utf-8")
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


def supervise(settings: Settings) -> int:
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
        for svc in svcs:
            svc.start(settings.log_dir)
        if not wait_healthy(svcs):
            log.error("服务未能全部启动，正在停止。")
            return 1
        log.info(banner(settings))
        periodic = jobs()
        while not stopping:
            time.sleep(1)
            for job in periodic:
                if not stopping and job.due(time.monotonic()):
                    job.start(settings.log_dir, svcs[0].env, time.monotonic())
            for svc in svcs:
                if stopping or svc.proc.poll() is None:
                    continue
                now = time.monotonic()
                svc.restarts = [t for t in svc.restarts if now - t < RESTART_WINDOW_S] + [now]
                if len(svc.restarts) > RESTART_LIMIT:
                    log.error("%s 在 %d 秒内退出超过 %d 次，停止全部服务，请查看 log/%s.log",
                              svc.label, RESTART_WINDOW_S, RESTART_LIMIT, svc.name)
                    return 1
                log.warning("%s 意外退出（退出码 %s），正在重启（第 %d 次）", svc.label, svc.proc.returncode, len(svc.restarts))
                time.sleep(min(2 ** len(svc.restarts), 30))
                svc.start(settings.log_dir)
        return 0
    finally:
        log.info("正在停止服务……")
        for job in periodic:
            if job.proc and job.proc.poll() is None:
                job.proc.terminate()
        for svc in reversed(svcs):
            svc.stop()
        pid_file(settings).unlink(missing_ok=True)
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
    settings = get_settings()
    svcs = services(settings)
    preflight(settings, svcs)
    out = open(settings.log_dir / "supervisor.out", "ab")
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
    """Stop the background supervisor and its services."""
    settings = get_settings()
    path = pid_file(settings)
    if not path.exists():
        print("没有正在运行的惠企通服务。")
        return
    pid = int(path.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        print("没有正在运行的惠企通服务（已清理过期的进程记录）。")
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("惠企通服务已停止。")
            return
        time.sleep(0.5)
    _fail(f"进程 {pid} 在 {timeout} 秒内未退出，请手动结束。")


if __name__ == "__main__":
    cli()
