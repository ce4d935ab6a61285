"""``python -m matcher.cli``: the ``matcher`` command."""
from . import run

run()
