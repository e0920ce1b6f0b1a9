"""Every setting of the server, read from the environment in one place.

| variable | meaning | default |
| --- | --- | --- |
| ``VANGUARD_ENV`` | ``production``: a real deployment (``Settings.check``): an explicit ``VANGUARD_SECRET_KEY`` is required, cookies are ``Secure``, no debug pages, forwarded headers only from ``VANGUARD_TRUSTED_PROXIES``, the demo seed and the training clock refuse to run (docs/deploy.md) | ``development`` |
| ``VANGUARD_DATABASE_URL`` | SQLAlchemy URL of the database | ``sqlite:///<instance>/vanguard.db`` |
| ``VANGUARD_SECRET_KEY`` | key signing session cookies and CSRF tokens (production: required, at least 32 characters) | generated on first start, kept in ``instance/secret_key`` (not in production) |
| ``PORT`` | port ``python -m server serve`` listens on | ``5000`` |
| ``VANGUARD_DEMO`` | ``1``: seed the demo organisation into an empty database at start | off (on in ``make run``) |
| ``VANGUARD_WORKFLOWS_DIR`` | folder of BPMN/DMN files deployed at start, with ``forms/`` | ``workflows/`` of the checkout |
| ``VANGUARD_INSTANCE_DIR`` | folder for the SQLite file, the secret key and uploads | ``instance/`` of the checkout |
| ``VANGUARD_STATIC_DIST`` | folder of the fingerprinted, compressed static files (``server/web/assets.py``) | ``static-dist/`` of the checkout |
| ``VANGUARD_TIMEZONE`` | time zone in which working days and due dates are counted | ``Asia/Shanghai`` |
| ``VANGUARD_SHIPPED_SCHEDULES`` | ``1``: at start, every top unit without one gets the schedules the seeds ask for (the quarterly excellent-member selection in every branch, enabled, editable at ``/api/schedules``); ``0``: none are added | on |
| ``VANGUARD_SCHEDULER`` | ``embedded``: a thread in the web process fires timers; ``off``: a separate worker does | ``embedded`` |
| ``VANGUARD_BROKER_URL`` | Celery broker for scale-out mode | ``redis://127.0.0.1:6379/0`` |
| ``VANGUARD_LAUNCHES`` / ``VANGUARD_LAUNCH_TASKS`` | who creates a campaign's branch runs: ``thread`` (a thread of the web process that took the request) or ``celery`` (the Celery workers: that many ``vanguard.run_launch`` tasks per launch, which claim its batches side by side; scale-out mode, ``make scale-out``) | ``thread`` / ``4`` |
| ``VANGUARD_CELERY_QUEUE`` / ``VANGUARD_DISPATCH_INTERVAL`` / ``VANGUARD_DISPATCH_LEASE`` | Celery queue name; seconds between dispatcher passes; seconds a dispatched job is leased (read by ``server.worker``) | ``vanguard`` / ``1`` / ``30`` |
| ``HOST`` / ``VANGUARD_THREADS`` | address and threads of ``python -m server serve`` | ``127.0.0.1`` / ``8`` |
| ``VANGUARD_SMTP_HOST`` / ``VANGUARD_SMTP_PORT`` / ``VANGUARD_MAIL_FROM`` | e-mail for reminders; unset: reminders stay in-app | unset / ``25`` / ``vanguard@localhost`` |
| ``VANGUARD_CLOCK_CONTROL`` | ``1``: the demo and training clock (``/api/admin/clock``, ``python -m server clock``); never on a production server (docs/oversight.md) | off |
| ``VANGUARD_TLS`` | ``1``: the deployment is served over HTTPS (behind a TLS proxy): session, remember-me and language cookies get ``Secure``, responses carry ``Strict-Transport-Security`` | off |
| ``VANGUARD_TRUSTED_PROXIES`` | addresses or networks (comma-separated, ``127.0.0.1,10.0.0.0/8``) of the reverse proxies whose ``X-Forwarded-For``/``-Proto``/``-Host`` are believed; from any other peer they are ignored (``server.hardening.TrustedProxies``) | unset: none |
| ``VANGUARD_PROXY_HOPS`` | number of reverse proxies in front of the server whose forwarded headers are read (the login throttle counts per client address); without ``VANGUARD_TRUSTED_PROXIES`` they are believed from any peer (development only) | ``1`` with trusted proxies, else ``0`` |
| ``VANGUARD_RATE_LIMIT_STORAGE`` | where the login throttle counts (a ``limits`` storage URI) | ``memory://`` in embedded mode; ``VANGUARD_BROKER_URL`` (Redis) when ``VANGUARD_SCHEDULER=off`` (scale-out: several processes share the counts) |
| ``VANGUARD_LOGIN_LIMIT_ACCOUNT`` / ``VANGUARD_LOGIN_LIMIT_ADDRESS`` | failed logins allowed per account / per client address | ``5 per minute;20 per hour`` / ``30 per minute;300 per hour`` |
| ``VANGUARD_MAX_REQUEST_BYTES`` | largest request body (an upload); larger: 413 | ``8388608`` (8 MiB) |
| ``VANGUARD_UPLOADS_DIR`` | folder of attachments (photos, documents) and their thumbnails, stored by random id; in scale-out mode a folder every worker reaches (docs/attachments.md); saved and restored with the database by ``python -m server backup``/``restore`` | ``uploads/`` in the instance folder |
| ``VANGUARD_MAX_ATTACHMENT_BYTES`` | largest attachment; larger: 422 | ``5242880`` (5 MiB) |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_dir: Path) -> str:
    """Return the key from the environment, or the one kept in the instance folder.

    A key generated on first start is written once and reused, so that sessions
    survive restarts without the administrator having to invent one.
    """
    from_env = os.environ.get("VANGUARD_SECRET_KEY")
    if from_env:
        return from_env
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


class ConfigError(Exception):
    """A setting (or a combination) the server refuses to start with; the message says which and why."""


ENVIRONMENTS = ("development", "production")
MIN_SECRET_LENGTH = 32


def forbid_in_production(settings: Settings, what: str) -> None:
    """The one check for what a production deployment must never do (the demo seed, the training clock)."""
    if settings.production:
        raise ConfigError(f"{what} is refused when VANGUARD_ENV=production (a demo or training server only)")


LAUNCH_RUNNERS = ("thread", "celery")


@dataclass
class Settings:
    database_url: str
    secret_key: str
    env: str = "development"
    port: int = 5000
    demo: bool = False
    workflows_dir: Path = ROOT / "workflows"
    instance_dir: Path = ROOT / "instance"
    static_dist: Path = ROOT / "static-dist"
    timezone: str = "Asia/Shanghai"
    scheduler: str = "embedded"
    shipped_schedules: bool = True
    broker_url: str = "redis://127.0.0.1:6379/0"
    launches: str = "thread"
    launch_tasks: int = 4
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "vanguard@localhost"
    clock_control: bool = False
    tls: bool = False
    proxy_hops: int = 0
    trusted_proxies: tuple[str, ...] = ()
    uploads_dir: Path | None = None
    rate_limit_storage: str = ""
    login_limit_account: str = "5 per minute;20 per hour"
    login_limit_address: str = "30 per minute;300 per hour"
    max_request_bytes: int = 8 * 1024 * 1024
    script_seconds: float = 1.0
    script_memory_mb: int = 256
    max_attachment_bytes: int = 5 * 1024 * 1024
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        instance_dir = Path(env.get("VANGUARD_INSTANCE_DIR", ROOT / "instance"))
        database_url = env.get("VANGUARD_DATABASE_URL") or f"sqlite:///{instance_dir / 'vanguard.db'}"
        mode = env.get("VANGUARD_ENV", "development").strip().lower() or "development"
        production = mode == "production"
        trusted = tuple(p.strip() for p in env.get("VANGUARD_TRUSTED_PROXIES", "").split(",") if p.strip())
        settings = cls(
            database_url=database_url,
            # production: only the key the administrator gave; none is invented and kept
            secret_key=env.get("VANGUARD_SECRET_KEY", "") if production else _secret_key(instance_dir),
            env=mode,
            port=int(env.get("PORT", "5000")),
            demo=_flag(env.get("VANGUARD_DEMO")),
            workflows_dir=Path(env.get("VANGUARD_WORKFLOWS_DIR", ROOT / "workflows")),
            instance_dir=instance_dir,
            static_dist=Path(env.get("VANGUARD_STATIC_DIST", ROOT / "static-dist")),
            timezone=env.get("VANGUARD_TIMEZONE", "Asia/Shanghai"),
            scheduler=env.get("VANGUARD_SCHEDULER", "embedded"),
            shipped_schedules=_flag(env.get("VANGUARD_SHIPPED_SCHEDULES", "1")),
            broker_url=env.get("VANGUARD_BROKER_URL", "redis://127.0.0.1:6379/0"),
            launches=env.get("VANGUARD_LAUNCHES", "thread").strip().lower() or "thread",
            launch_tasks=int(env.get("VANGUARD_LAUNCH_TASKS", "4")),
            smtp_host=env.get("VANGUARD_SMTP_HOST") or None,
            smtp_port=int(env.get("VANGUARD_SMTP_PORT", "25")),
            mail_from=env.get("VANGUARD_MAIL_FROM", "vanguard@localhost"),
            clock_control=_flag(env.get("VANGUARD_CLOCK_CONTROL")),
            tls=production or _flag(env.get("VANGUARD_TLS")),
            proxy_hops=int(env.get("VANGUARD_PROXY_HOPS", "1" if trusted else "0")),
            trusted_proxies=trusted,
            uploads_dir=Path(env["VANGUARD_UPLOADS_DIR"]) if env.get("VANGUARD_UPLOADS_DIR") else None,
            rate_limit_storage=env.get("VANGUARD_RATE_LIMIT_STORAGE", ""),
            login_limit_account=env.get("VANGUARD_LOGIN_LIMIT_ACCOUNT", cls.login_limit_account),
            login_limit_address=env.get("VANGUARD_LOGIN_LIMIT_ADDRESS", cls.login_limit_address),
            max_request_bytes=int(env.get("VANGUARD_MAX_REQUEST_BYTES", str(cls.max_request_bytes))),
            script_seconds=float(env.get("VANGUARD_SCRIPT_SECONDS", str(cls.script_seconds))),
            script_memory_mb=int(env.get("VANGUARD_SCRIPT_MEMORY_MB", str(cls.script_memory_mb))),
            max_attachment_bytes=int(env.get("VANGUARD_MAX_ATTACHMENT_BYTES", str(cls.max_attachment_bytes))),
        )
        settings.check()
        return settings

    @property
    def uploads(self) -> Path:
        """The folder of uploaded files (``VANGUARD_UPLOADS_DIR``, else ``uploads/`` in the instance folder)."""
        return self.uploads_dir or self.instance_dir / "uploads"

    @property
    def production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        """Refuse what this mode must not run with (``ConfigError``); called again by ``bootstrap``."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"VANGUARD_ENV={self.env!r}: use one of {', '.join(ENVIRONMENTS)}")
        if self.launches not in LAUNCH_RUNNERS:
            raise ConfigError(f"VANGUARD_LAUNCHES={self.launches!r}: use one of {', '.join(LAUNCH_RUNNERS)}")
        if not self.production:
            return
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"VANGUARD_ENV=production needs VANGUARD_SECRET_KEY of at least {MIN_SECRET_LENGTH} characters "
                "(make one with `python3 -c 'import secrets; print(secrets.token_hex(32))'` and keep it in the "
                "service's environment file; docs/deploy.md)")
        if self.demo:
            forbid_in_production(self, "VANGUARD_DEMO=1 (the demo organisation, every password `demo`)")
        if self.clock_control:
            forbid_in_production(self, "VANGUARD_CLOCK_CONTROL=1 (the training clock)")
        if not self.tls:
            raise ConfigError("VANGUARD_ENV=production serves over HTTPS only: unset VANGUARD_TLS=0")
        if self.proxy_hops and not self.trusted_proxies:
            raise ConfigError("VANGUARD_PROXY_HOPS without VANGUARD_TRUSTED_PROXIES would believe X-Forwarded-* "
                              "from anyone: name the proxy's address (VANGUARD_TRUSTED_PROXIES=127.0.0.1)")

    def summary(self) -> str:
        """The one start-up line: mode, database (no password), scheduler, mail, proxies."""
        database = make_url(self.database_url).render_as_string(hide_password=True)
        mail = f"smtp {self.smtp_host}:{self.smtp_port} from {self.mail_from}" if self.smtp_host else "off (in-app only)"
        proxies = ",".join(self.trusted_proxies) or "none"
        return (f"mode={self.env} database={database} scheduler={self.scheduler} mail={mail} "
                f"tls={'on' if self.tls else 'off'} trusted_proxies={proxies}")

    def limiter_storage(self) -> str:
        """Embedded mode counts in memory; scale-out mode (several processes) in Redis."""
        if self.rate_limit_storage:
            return self.rate_limit_storage
        return "memory://" if self.scheduler == "embedded" else self.broker_url
