"""All configuration in one place (environment variables prefixed ``HUIQI_``).

Every path the system writes to is derived from ``data_dir``; no other module hard-codes a path.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_MODEL = REPO_ROOT.parent / "shared" / "models" / "multilingual-e5-small-zh"
HUB_MODEL = "intfloat/multilingual-e5-small"


def _default_embed_model() -> str:
    return str(SHARED_MODEL) if SHARED_MODEL.is_dir() else HUB_MODEL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUIQI_", extra="ignore")

    data_dir: Path = Field(default=REPO_ROOT / "var", description="All state: ledger, policy base, models, logs")
    host: str = Field(default="127.0.0.1", description="Interface the three services listen on")
    rasa_port: int = 5005
    action_port: int = 5055
    api_port: int = 8000
    api_workers: int = Field(default=2, ge=1, le=16, description="API worker processes (uvicorn --workers); the"
                             " ledger, log-in throttle and policy base are shared through the data dir")
    embed_model: str = Field(default_factory=_default_embed_model)
    rasa_models_dir: Path | None = Field(default=None, description="Trained Rasa models; default <data_dir>/rasa-models")
    demo_mode: bool = Field(default=False, description="Seed and allow the demo log-ins")
    secret_key: str = Field(default="", description="JWT signing key; generated into the data dir when empty")
    token_minutes: int = Field(default=480, description="Lifetime of a bearer token")
    # Deadlines in working days on the Chinese calendar, by problem category kind.
    deadline_consultation_days: int = 3
    deadline_help_days: int = 7
    deadline_complaint_days: int = 13
    escalate_after_days: int = Field(default=3, description="Working days overdue before escalation to a leader")
    office_hours: str = "工作日 9:00-12:00、14:00-17:30"
    handoff_timeout_minutes: int = Field(default=120, description="The bot stays quiet this long after a hand-off to a person")
    # Operations (see README "Security and operations").
    action_host: str = Field(default="127.0.0.1", description="Interface the action server listens on")
    rasa_processes: int = Field(default=2, ge=1, le=4, description="Rasa processes on the one port: one serves, the"
                                " others wait loaded as hot standbys (huiqi.rasa_standby)")
    site_origins: str = Field(default="", description="Comma-separated origins of the chat site allowed by Rasa's CORS;"
                                                     " default the API's own address")
    log_max_bytes: int = Field(default=20 * 1024 * 1024, description="A service log is rotated past this size")
    log_keep: int = Field(default=5, description="Rotated copies kept of each log")
    backup_keep: int = Field(default=14, description="Nightly ledger backups kept in <data_dir>/backups")
    reviewed_nlu_file: Path | None = Field(default=None, description="Where the review queue writes confirmed and"
                                           " corrected turns; default bot/data/nlu/reviewed.yml (the test services"
                                           " point it into their data dir so tests leave the bot's data alone)")

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        host = "127.0.0.1" if self.action_host in ("", "0.0.0.0", "::") else self.action_host
        return f"http://{host}:{self.action_port}/webhook"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "ledger.sqlite3"

    @property
    def policy_dir(self) -> Path:
        return self.data_dir / "policies"

    @property
    def models_dir(self) -> Path:
        return self.rasa_models_dir or self.data_dir / "rasa-models"

    @property
    def tracker_store_path(self) -> Path:
        return self.data_dir / "tracker.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def cors_origins(self) -> list[str]:
        """Origins whose pages may call Rasa's HTTP API from a browser: the chat site only."""
        if self.site_origins.strip():
            return [o.strip().rstrip("/") for o in self.site_origins.split(",") if o.strip()]
        return [self.api_url, f"http://localhost:{self.api_port}"]

    def ensure_data_dir(self) -> Path:
        """Create the data directory tree; raise a clear error when it is not writable."""
        try:
            for d in (self.data_dir, self.policy_dir, self.models_dir, self.log_dir):
                d.mkdir(parents=True, exist_ok=True)
            for d in (self.data_dir, self.log_dir):  # ledger, conversations, tokens: the owner only
                if d.stat().st_mode & 0o077 and d.stat().st_uid == os.getuid():
                    d.chmod(0o700)
            with tempfile.NamedTemporaryFile(dir=self.data_dir, prefix=".write-test-"):
                pass
        except OSError as exc:
            raise DataDirError(
                f"数据目录 {self.data_dir} 不可写（{exc.strerror}）。"
                "请检查权限，或用环境变量 HUIQI_DATA_DIR 指定一个可写的目录。"
            ) from exc
        return self.data_dir

    def signing_key(self) -> str:
        """The configured secret, or one generated once into the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.ensure_data_dir()
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


    def rasa_api_token(self) -> str:
        """Token for Rasa's HTTP API (``--auth-token``): conversations, trackers and trigger_intent
        are closed to anyone without it; the REST and socket.io channels stay open to the chat."""
        return hmac.new(self.signing_key().encode(), b"rasa-http-api", hashlib.sha256).hexdigest()[:40]

    def action_token(self) -> str:
        """Token Rasa sends to the action server (``?token=``); the action server refuses calls without it."""
        return hmac.new(self.signing_key().encode(), b"rasa-action-server", hashlib.sha256).hexdigest()[:40]


class DataDirError(RuntimeError):
    """The data directory cannot be used."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
