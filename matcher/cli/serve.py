"""``matcher serve`` and ``matcher worker``: the API service from the command line (tokens: :mod:`.tokens`).

Settings come from ``MATCHER_*`` environment variables (see docs/api.md);
``--database-url`` overrides ``MATCHER_DATABASE_URL``. The development
server's access log shows paths without their query strings (a query can carry
names: ``?provider=张颖``), as the shipped ``gunicorn.conf.py`` does.
"""
from __future__ import annotations

import logging
import os
import re
import signal

import click

from .inputs import DEMO_ROUND

db_option = click.option("--database-url", envvar="MATCHER_DATABASE_URL", default=None,
                         help="SQLAlchemy URL (default: sqlite file instance/matcher.sqlite).")


def _path_only_handler():
    """werkzeug's request handler, logging ``GET /path HTTP/1.1`` without the query string."""
    from werkzeug.serving import WSGIRequestHandler

    class PathOnlyHandler(WSGIRequestHandler):
        def log_request(self, code="-", size="-") -> None:
            full = getattr(self, "path", None)
            if full is not None:
                self.path = full.split("?", 1)[0]
            self.requestline = re.sub(r"\?\S*", "", getattr(self, "requestline", ""))
            try:
                super().log_request(code, size)
            finally:
                if full is not None:
                    self.path = full

    return PathOnlyHandler


def _settings(database_url: str | None, **extra) -> dict:
    from ..web import config

    return config.load({"DATABASE_URL": database_url, **extra} if database_url else extra)


def _database(database_url: str | None):
    from ..store import Database, migrate

    db = Database(_settings(database_url)["DATABASE_URL"])
    migrate(db)
    return db


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@db_option
@click.option("--no-worker", is_flag=True, help="Do not run the background worker thread.")
@click.option("--demo", is_flag=True, help="Create a demo committee token and load the bundled demo round.")
def serve(host: str, port: int, database_url: str | None, no_worker: bool, demo: bool) -> None:
    """Run the API with Flask's development server and a background worker.

    Production: gunicorn 'api:create_app()' --bind 0.0.0.0:8000 plus `matcher worker`.
    """
    from werkzeug.serving import make_server

    from ..web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    overrides = {"RUN_WORKER": not no_worker}
    if database_url:
        overrides["DATABASE_URL"] = database_url
    app = create_app(overrides)
    server = make_server(host, port, app, threaded=True, request_handler=_path_only_handler())
    base = f"http://{host}:{server.port}"
    if demo:
        _demo(app, base)
    from sqlalchemy.engine import make_url

    shown = make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True)
    click.echo(f"matcher API on {base}  (docs {base}/docs, console {base}/console, database {shown})", err=True)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        worker = app.extensions.get("matcher_worker")
        if worker is not None:
            worker.stop()


def _exit_on_signal(*_) -> None:
    raise SystemExit(0)


def _demo(app, base: str) -> None:
    from ..store import repo

    db = app.extensions["matcher_db"]
    token = repo.create_token(db, "demo")
    with app.test_client() as c:
        r = c.post("/api/v1/rounds", data=DEMO_ROUND.read_bytes(), content_type="application/json",
                   headers={"Authorization": f"Bearer {token}"})
    doc = r.get_json()
    click.echo(f"demo committee token: {token}")
    click.echo(f"demo round loaded:    {base}{doc['url']}  ({doc['status']})")
    click.echo("solve a round:")
    click.echo(f"  curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
               f"--data-binary @{os.path.relpath(DEMO_ROUND)} {base}/api/v1/rounds")


@click.command()
@db_option
@click.option("--once", is_flag=True, help="Handle at most one queued round, then exit.")
def worker(database_url: str | None, once: bool) -> None:
    """Solve queued rounds in the background (run beside gunicorn)."""
    from ..worker import Worker, WorkerSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    cfg = _settings(database_url)
    db = _database(database_url)
    w = Worker(db, WorkerSettings.from_config(cfg))
    if once:
        w.run_once()
        return
    signal.signal(signal.SIGTERM, lambda *_: w.stop())
    click.echo(f"matcher worker {w.id} on {cfg['DATABASE_URL']}", err=True)
    try:
        w.run_forever()
    except KeyboardInterrupt:
        w.stop()


COMMANDS = [serve, worker]
