"""WSGI entry point of the matcher API service.

    gunicorn 'api:create_app()'     # production (run `matcher worker` beside it)
    matcher serve                   # development server with a worker thread
"""
from matcher.web import create_app

__all__ = ["create_app"]
