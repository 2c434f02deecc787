"""Configuration from GONGSHI_* environment variables, with safe defaults for one machine."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    index_dir: Path
    # Default publication deadline (公示时限) in working days: 20 in Nantong's rules (seed 000).
    deadline_working_days: int = 20
    cache_type: str = "SimpleCache"
    extra: dict = field(default_factory=dict)

    @property
    def archive_dir(self) -> Path:
        return self.instance_dir / "archive"

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
        )
        values.update(overrides)
        return cls(**values)

    def ensure_dirs(self) -> None:
        for path in (self.instance_dir, self.archive_dir, self.index_dir):
            path.mkdir(parents=True, exist_ok=True)
