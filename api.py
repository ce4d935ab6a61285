"""WSGI entry point of the matcher API service: the app factory, re-exported for gunicorn.

    gunicorn 'api:create_app()'     # production (run `matcher worker` beside it)
    matcher serve                   # development server with a worker thread

The factory itself is :func:`matcher.web.create_app`.
"""
from matcher.web import create_app

__all__ = ["create_app"]
