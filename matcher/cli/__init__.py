"""``matcher`` command line: the one click group and its commands.

Exit codes: 0 a result was written (whatever its status), 2 the input, an
option or an output path cannot be used (messages on stderr, one per problem,
with field paths), 70 matcher failed internally. The group maps errors to
exit codes once (:mod:`matcher.cli.failures`); commands only raise.

One module per command group::

    solve.py     solve, validate, demo, schema
    lists.py     lists solve | to-round | from-round | export | template (lists_import.py: lists import)
    report.py    report
    whatif.py    whatif
    recommend.py recommend
    serve.py     serve, worker
    tokens.py    token create | list | revoke
    audit.py     audit verify
    cycle.py     decide, project event, bans list | lift
    simulate.py  simulate
    inputs.py outputs.py progress.py summary.py   shared by the commands

Command modules import their heavy dependencies (service, solvers, pandas,
flask, sqlalchemy) inside the command, so that ``matcher --help`` stays fast.
"""
from __future__ import annotations

import click

from . import audit, cycle, failures, lists, process, recommend, report, serve, simulate, solve, tokens, whatif
from .inputs import DEMO_ROUND

_CLICK_OWN = (click.ClickException, click.exceptions.Exit, click.Abort)


class MatcherGroup(click.Group):
    """A click group that turns every exception of its commands into an exit code, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except _CLICK_OWN:
            raise
        except Exception as exc:  # every other exception is a bug: exit 70, in one place
            ctx.exit(failures.exit_code_of(exc, ctx))


@click.group(cls=MatcherGroup)
@click.version_option(package_name="matcher")
def main() -> None:
    """matcher: optimal matching of resource lists to need lists (三单)."""


for _command in [*solve.COMMANDS, lists.lists, report.report, whatif.whatif, *serve.COMMANDS, audit.audit,
                 recommend.recommend, simulate.simulate, *tokens.COMMANDS, *cycle.COMMANDS]:
    main.add_command(_command)


def run() -> None:
    """Console entry point (``matcher``): :func:`main` in a process of its own."""
    process.claim()
    main()


__all__ = ["DEMO_ROUND", "main", "run"]
