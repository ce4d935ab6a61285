"""A gunicorn worker class that a slow client cannot hold: gthread with read timeouts.

gunicorn's ``gthread`` worker hands each new connection to a pool thread,
which waits up to 5 s for its first bytes and then reads the request headers
and body from a *blocking* socket, without any time limit: a client that
sends half a request line and stops holds that thread until the worker
timeout kills the whole worker. :class:`ReadTimeoutWorker` changes two things:

- a new connection waits at most ``FIRST_DATA_S`` in its thread before it is
  handed back to the poller (which costs no thread);
- its socket gets a read timeout of ``READ_TIMEOUT_S`` for every ``recv``, so a
  client stalling in its headers or body loses its connection after that long
  (a body read that times out answers 408).

With enough ``threads`` (``gunicorn.conf.py`` at the repository root sets
them), a few dozen stalled clients per worker leave threads free for
everyone else. A client that trickles a byte every few seconds is bounded
only by the number of threads: put a buffering proxy (nginx) in front for
an open network; see docs/api.md.
"""
from __future__ import annotations

import errno

from gunicorn.workers import gthread

FIRST_DATA_S = 0.5   # a pool thread waits this long for a new connection's first bytes
READ_TIMEOUT_S = 10.0  # each recv of a request's headers and body


class ReadTimeoutConn(gthread.TConn):
    """A connection whose blocking reads time out."""

    def wait_for_data(self, timeout):
        return super().wait_for_data(min(timeout, FIRST_DATA_S))

    def init(self):
        super().init()
        self.sock.settimeout(READ_TIMEOUT_S)


class ReadTimeoutWorker(gthread.ThreadWorker):
    """``gthread`` whose connections are :class:`ReadTimeoutConn` (``worker_class`` in gunicorn.conf.py)."""

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            client_sock.setblocking(True)
            self.enqueue_req(ReadTimeoutConn(self.cfg, client_sock, client_addr, listener.getsockname()))
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
