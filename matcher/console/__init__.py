"""The committee console at ``/console``: server-rendered pages for the whole committee cycle.

Flask + Jinja2 (autoescape) pages in Chinese first, plain HTML forms and one
small script of the package's own (``static/console.js``); nothing is loaded
from outside the app. Every action calls the same store / service function as
the matching API operation (:data:`matcher.console.actions.ACTIONS` lists them),
so the portal and the console keep one contract.

- :mod:`.secret`: the key that signs the session cookie;
- :mod:`.auth`: sign-in with a committee token, the server-checked session, CSRF;
- :mod:`.pages`: the blueprint, its headers, error pages and rendering;
- :mod:`.views_lists`, :mod:`.views_rounds`, :mod:`.views_cycle`, :mod:`.views_wish`: the pages;
- :mod:`.forms`, :mod:`.compare`, :mod:`.why`: form reading, round comparison, the "why" panel.

:func:`install` is the one call ``matcher.web.create_app`` makes.
"""
from __future__ import annotations


def install(app) -> None:
    """Register the console on ``app``: session settings, signing key, blueprint."""
    from .app import install as _install

    _install(app)
