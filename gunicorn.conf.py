"""gunicorn settings of the matcher API (``gunicorn -c gunicorn.conf.py 'api:create_app()'``).

- workers a slow client cannot hold: gthread with read timeouts
  (:mod:`matcher.web.gunicorn_worker`) and many threads per process;
- an access log without query strings (a query can carry names and phone
  numbers: ``?provider=张颖``) and without the referrer;
- ``child_exit`` keeps /metrics right in prometheus multiprocess mode;
- ``post_worker_init`` warms the solvers in each worker before its first request.

Every setting can still be overridden on the command line (``--bind``, ``--workers``).
"""
import os

from matcher.web.metrics import child_exit  # noqa: F401  (gunicorn hook)

bind = os.environ.get("MATCHER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MATCHER_WEB_WORKERS", "4"))
worker_class = "matcher.web.gunicorn_worker.ReadTimeoutWorker"
threads = int(os.environ.get("MATCHER_WEB_THREADS", "64"))
worker_connections = 1000
timeout = 60            # a worker silent this long is restarted (solves in a request stay under MATCHER_SYNC_BUDGET_S)
graceful_timeout = 30
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
# %(U)s is the path without its query string; no %(r)s (request line) nor %(f)s (referrer)
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def post_worker_init(worker):
    """Each web worker imports the solvers and solves the demo round once before it takes requests,
    so that no client's first round pays for that (about a second)."""
    from matcher.worker import warm_solvers

    worker.log.info("solvers warmed in %.2f s", warm_solvers())
