"""`gongshi serve`: gunicorn's worker processes where it runs (Linux, macOS), else waitress.

Each gunicorn worker builds its own application after the fork (no preloading), so no database
connection or socket is ever shared between processes; what the workers must agree on (the
response cache, the rate-limit counters) lives in Redis when GONGSHI_REDIS_URL is set.
"""
from __future__ import annotations

import click

from gongshi.config import Settings


def serve(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:  # Windows: gunicorn needs fork()
        _waitress(settings, host, port, threads)
        return

    class Gunicorn(BaseApplication):
        def load_config(self):
            # One thread: gunicorn's plain sync worker, one request at a time (behind nginx,
            # which buffers slow clients); more: its threaded worker.
            options = {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                       "worker_class": "gthread" if threads > 1 else "sync", "proc_name": "gongshi",
                       # a download of a large table may stream for minutes
                       "timeout": 120, "graceful_timeout": 10,
                       # gunicorn's control socket sits at one path per user: two instances collide
                       "control_socket_disable": True}
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from gongshi.app import create_app

            return create_app(settings)

    click.echo(f"公示门户：http://{host}:{port}/（gunicorn，{workers} 个进程 × {threads} 线程）")
    Gunicorn().run()


def _waitress(settings: Settings, host: str, port: int, threads: int) -> None:
    import waitress

    from gongshi.app import create_app

    click.echo(f"公示门户：http://{host}:{port}/（waitress，{threads} 线程）")
    waitress.serve(create_app(settings), host=host, port=port, threads=threads, ident="gongshi")
