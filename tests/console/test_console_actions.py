"""Every console action is a documented API operation (one contract for the portal and the console)."""
from __future__ import annotations

import pytest

from matcher.console.actions import ACTIONS, NOT_ACTIONS
from matcher.web.openapi import openapi_document


def test_every_console_page_is_in_the_table(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")}
    listed = {a.endpoint for a in ACTIONS}
    assert endpoints - NOT_ACTIONS == listed, (endpoints - NOT_ACTIONS) ^ listed
    assert len(listed) == len(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.endpoint)
def test_each_operation_is_in_the_openapi_document(action):
    paths = openapi_document()["paths"]
    for method, path in action.api:
        assert path in paths and method.lower() in paths[path], f"{action.endpoint}: {method} {path}"
