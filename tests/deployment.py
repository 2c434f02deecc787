"""Running deploy/ on this machine: Debian's nginx with deploy/nginx-gongshi.conf in front of
`gongshi serve`, every file nginx writes kept in one folder. Used by tests/test_deploy.py and
bench/load.py."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from gongshi.portal.web import STATIC_DIR

SITE = Path(__file__).resolve().parent.parent / "deploy" / "nginx-gongshi.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_config(tmp: Path, port: int, app_port: int, worker_connections: int = 256) -> Path:
    """deploy/'s site as shipped, with these ports and the installed static folder, inside a main
    configuration that keeps every file nginx writes under `tmp`."""
    site = SITE.read_text(encoding="utf-8")
    for shipped, here in (("listen 80;", f"listen 127.0.0.1:{port};"),
                          ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
                          ("alias /srv/gongshi/static/", f"alias {STATIC_DIR}/")):
        assert shipped in site, f"{SITE} no longer says {shipped!r}"
        site = site.replace(shipped, here)
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"  {name}_temp_path {tmp / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = tmp / "nginx.conf"
    main.write_text(f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"};
events {{ worker_connections {worker_connections}; }}
http {{
  include /etc/nginx/mime.types;
  access_log {tmp / "access.log"};
{temp}
  include {tmp / "site.conf"};
}}
""", encoding="utf-8")
    return main


def nginx_command(config: Path) -> list[str]:
    return [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(config), "-g", "daemon off;"]


def wait_for(port: int, what: str, process: subprocess.Popen) -> None:
    """Until something listens on `port`; fails if `process` exits first."""
    for _ in range(600):
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
