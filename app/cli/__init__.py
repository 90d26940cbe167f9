"""The ``relais`` command: one click group, in French, every command registered here.

The app is created only by the commands that need it (:func:`.context.with_app`), so
``relais --help`` works anywhere; whatever a command raises goes through one boundary
(:meth:`RelaisGroup.invoke`) that turns it into a French one-line message.
"""

from __future__ import annotations

import logging
from typing import Any

# Click in French before any command is declared (parameter types name themselves then).
from . import french

french.install()

import click  # noqa: E402
from click.testing import Result  # noqa: E402
from flask import Flask  # noqa: E402
from flask.cli import ScriptInfo  # noqa: E402
from flask.testing import FlaskCliRunner  # noqa: E402

from .campaigns import campaign_cli  # noqa: E402
from .context import URL_KEY  # noqa: E402
from .coverage import coverage_command  # noqa: E402
from .database import backup_command, init_db_command, restore_command  # noqa: E402
from .errors import as_click_exception  # noqa: E402
from .imports import import_command, reindex_command  # noqa: E402
from .serve import demo_command, serve_command  # noqa: E402
from .sync import sync_command  # noqa: E402
from .users import user_cli  # noqa: E402


def _create_app() -> Flask:
    from .. import create_app

    return create_app()


class _AppBoundary(click.Command):
    """Loads the app lazily and is the CLI's one error boundary (French, one line)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # Flask's lazy app holder: ``with_app`` and Flask's ``with_appcontext`` both use it.
        extra.setdefault("obj", ScriptInfo(create_app=_create_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("verbose"):
                raise
            raise as_click_exception(exc, ctx.meta.get(URL_KEY)) from None


class RelaisGroup(_AppBoundary, click.Group):
    """The root group: every ``relais`` command runs under its app loader and boundary."""


class AppCommand(_AppBoundary):
    """A command run on its own (developer tools such as ``python -m bench.generate``), with
    the app loader and the error boundary of the ``relais`` command."""


class _WithoutTraceback(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return ""

    def formatStack(self, stack_info: str) -> str:
        return ""


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    fmt = "%(levelname)s %(name)s : %(message)s"
    handler.setFormatter(logging.Formatter(fmt) if verbose else _WithoutTraceback(fmt))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


@click.group("relais", cls=RelaisGroup)
@click.option(
    "--verbose",
    is_flag=True,
    envvar="RELAIS_VERBOSE",
    help="Affiche les journaux et, en cas d'erreur, la trace Python complète "
    "(aussi avec RELAIS_VERBOSE=1).",
)
def relais(verbose: bool) -> None:
    """Relais : annuaire des partenaires de l'insertion et moteur d'orientation."""
    _configure_logging(verbose)


for _command in (
    init_db_command,
    import_command,
    sync_command,
    reindex_command,
    serve_command,
    demo_command,
    backup_command,
    restore_command,
    user_cli,
    campaign_cli,
    coverage_command,
):
    relais.add_command(_command)
for _group in (relais, user_cli, campaign_cli):
    _group.subcommand_metavar = "COMMANDE [ARGUMENTS]..."


class CliRunner(FlaskCliRunner):
    """``app.test_cli_runner()`` runs the ``relais`` command on that app (not ``flask``)."""

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Result:
        return super().invoke(cli or relais, args, **kwargs)


def main() -> None:
    relais.main(prog_name="relais")
