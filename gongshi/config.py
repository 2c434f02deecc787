"""Configuration from GONGSHI_* environment variables, with safe defaults for one machine."""
from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from gongshi.ingest.limits import Limits
from gongshi.ingest.pipeline import ARCHIVE_DIR
from gongshi.store.correction_queue import SPOOL_FILE


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    index_dir: Path
    # Default publication deadline (公示时限) in working days: 20 in Nantong's rules.
    deadline_working_days: int = 20
    cache_type: str = "SimpleCache"
    # The open-data API's limit per client, the pages', and the correction form's (flask-limiter's
    # notation, several joined by ";"); "off" turns the first two off. None: the layers' own defaults.
    rate_limit: str | None = None
    page_rate_limit: str | None = None
    correction_rate_limit: str | None = None
    # Seconds a correction request waits for the store's write lock (an ingest holding SQLite's)
    # before it is kept in the spool instead, to be recorded when the store is free.
    correction_lock_wait: float = 3.0
    # How many reverse proxies in front may be believed about the client's address
    # (X-Forwarded-For) and scheme (X-Forwarded-Proto): 0, the default, believes none.
    trusted_proxies: int = 0
    # With Redis, every worker process shares one response cache and one rate-limit count.
    redis_url: str | None = None
    # Worker processes of `gongshi serve`: one per core by default.
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    # Signs the session cookie that carries the forms' CSRF token (GONGSHI_SECRET_KEY).
    secret_key: str | None = field(default=None, repr=False)
    # The public address (GONGSHI_BASE_URL, e.g. https://gongshi.example.cn): absolute links are
    # built on it and only its host is served. None on a laptop: only localhost names are served.
    base_url: str | None = None
    # What one published source may hold and how it is fetched (GONGSHI_MAX_*, GONGSHI_FETCH_*).
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self):
        if self.base_url is not None:
            object.__setattr__(self, "base_url", base_url(self.base_url))

    @property
    def archive_dir(self) -> Path:
        return self.instance_dir / ARCHIVE_DIR

    @property
    def correction_spool(self) -> Path:
        return self.instance_dir / SPOOL_FILE

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        env = dict(os.environ if env is None else env)
        instance = Path(overrides.pop("instance_dir", None) or env.get("GONGSHI_INSTANCE_DIR") or "instance").resolve()
        values = dict(
            instance_dir=instance,
            database_url=env.get("GONGSHI_DATABASE_URL") or f"sqlite:///{instance / 'gongshi.sqlite3'}",
            index_dir=Path(env.get("GONGSHI_INDEX_DIR") or instance / "index").resolve(),
            deadline_working_days=int(env.get("GONGSHI_DEADLINE_WORKING_DAYS") or 20),
            cache_type=env.get("GONGSHI_CACHE_TYPE") or "SimpleCache",
            secret_key=env.get("GONGSHI_SECRET_KEY") or None,
            base_url=env.get("GONGSHI_BASE_URL") or None,
            rate_limit=env.get("GONGSHI_RATE_LIMIT") or None,
            page_rate_limit=env.get("GONGSHI_PAGE_RATE_LIMIT") or None,
            correction_rate_limit=env.get("GONGSHI_CORRECTION_RATE_LIMIT") or None,
            correction_lock_wait=float(env.get("GONGSHI_CORRECTION_LOCK_WAIT") or 3.0),
            trusted_proxies=int(env.get("GONGSHI_TRUSTED_PROXIES") or 0),
            redis_url=env.get("GONGSHI_REDIS_URL") or None,
            limits=_limits(env),
        )
        if env.get("GONGSHI_WORKERS"):
            values["workers"] = int(env["GONGSHI_WORKERS"])
        values.update(overrides)
        return cls(**values)

    def ensure_dirs(self) -> None:
        for path in (self.instance_dir, self.archive_dir, self.index_dir):
            path.mkdir(parents=True, exist_ok=True)

    def session_secret(self) -> str:
        """GONGSHI_SECRET_KEY, or else a random key generated on first run and kept in the
        instance folder (readable by its owner only), so that every process shares it."""
        if self.secret_key:
            return self.secret_key
        path = self.instance_dir / "secret_key"
        if not path.exists():
            self.instance_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.instance_dir, delete=False) as tmp:
                tmp.write(secrets.token_hex(32))
            try:  # link() never replaces: of processes starting together, the first one's key wins
                os.link(tmp.name, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp.name)
        return path.read_text(encoding="ascii").strip()


def base_url(text: str) -> str:
    """`scheme://host[:port]`, without a trailing slash; anything else is a configuration error
    (a path prefix comes from the proxy's SCRIPT_NAME, not from here)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
        raise ValueError(f"GONGSHI_BASE_URL 应为 https://主机名[:端口]，不含路径，收到“{text}”")
    return f"{parts.scheme}://{parts.netloc}"


def _limits(env: dict[str, str]) -> Limits:
    """Limits from GONGSHI_<NAME> (max_rows → GONGSHI_MAX_ROWS); unset ones keep their defaults."""
    values = {}
    for f in fields(Limits):
        text = env.get(f"GONGSHI_{f.name.upper()}")
        if text:
            kind = type(f.default)
            values[f.name] = text.strip().lower() in {"1", "true", "yes"} if kind is bool else kind(text)
    return Limits(**values)
