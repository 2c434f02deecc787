"""Files built once per data version and then served from disk: the bulk downloads and the
statistics workbook. However many clients ask, each file is written once (under a lock shared by
every process of the instance), to a temporary name renamed into place, so nobody is served half
a file; a new ingest makes a new version directory, and older ones are removed."""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from filelock import FileLock
from flask import Response, current_app, send_file
from sqlalchemy.orm import Session

from gongshi.api.context import get_cache
from gongshi.api.http import data_version
from gongshi.store import draw_audit

LOCK_TIMEOUT = 600  # seconds to wait for another process building the same file


def built(name: str, write: Callable[[BinaryIO], None]) -> Path:
    """The file `name` of the current data version, written by `write` on first request."""
    root = Path(current_app.config["GONGSHI_DOWNLOAD_DIR"])
    version = data_version()
    folder = root / f"v{version}"
    path = folder / name
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / f".{name}.lock"), timeout=LOCK_TIMEOUT):
        if not path.is_file():  # the one that held the lock before us may have built it
            _write_atomically(path, write)
    _remove_older(root, version)
    return path


def _write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as out:
        try:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    os.replace(out.name, path)


def _remove_older(root: Path, version: int) -> None:
    """Versions before the previous one: the previous may still be in use by a slow request."""
    versions = sorted(int(p.name[1:]) for p in root.iterdir() if p.is_dir() and p.name[1:].isdigit())
    for old in [v for v in versions if v < version][:-1]:
        shutil.rmtree(root / f"v{old}", ignore_errors=True)


def send_built(name: str, write: Callable[[BinaryIO], None], mimetype: str) -> Response:
    """The built file as an attachment, with its validators and Range support (send_file's)."""
    response = send_file(built(name, write), mimetype=mimetype, conditional=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def computed_once(session: Session, name: str, compute: Callable[[Session], object]):
    """A result computed from the whole store (an audit), once per data version for the whole
    instance, as the downloads are: a crowd arriving after an ingest, or every worker, waits for
    one computation instead of each starting its own; each process then keeps it in its cache."""
    key = f"{name}:{data_version()}"
    value = get_cache().get(key)
    if value is None:
        path = built(f"{name}.pickle", lambda out: pickle.dump(compute(session), out))
        value = pickle.loads(path.read_bytes())  # our own file, written by this or a sibling process
        get_cache().set(key, value, timeout=0)
    return value


def draw_audit_once(session: Session) -> draw_audit.Audit:
    """The randomness audit (store/draw_audit.py) of the current data version, computed once."""
    return computed_once(session, "draw-audit", draw_audit.compute)
