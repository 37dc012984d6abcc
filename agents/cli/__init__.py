"""The ``satcoop`` command line (also ``python -m agents.cli``).

Each subcommand lives in its own module of this package and exposes
``register(subparsers)`` (adds its parser, sets ``func``); the module is
imported only to build the parser, the heavy imports happen in ``func``.
Bad input (:class:`constellation.checks.BadInput`) is one line naming the option, exit status 2;
what the machine did not provide (:class:`constellation.checks.Unavailable`, e.g. local Ray did not
start) is one line, exit status 1; any other exception is an internal error: one line saying so, exit
status 1. ``SATCOOP_DEBUG=1`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

SUBCOMMANDS = ("run", "world", "compare", "overhead", "lpdft", "sweep", "train", "view")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="satcoop",
        description="Cooperative multi-satellite MIMO in LEO constellations.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"agents.cli.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from constellation.checks import BadInput, Unavailable

    try:
        return int(args.func(args) or 0)
    except BadInput as exc:
        if os.environ.get("SATCOOP_DEBUG"):
            raise
        print(f"satcoop {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `satcoop ... | head`: the reader left; stop quietly (and keep Python from
        # complaining again while flushing stdout at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:            # agents.experiments.stopping.Interrupted: signal and what was kept
        detail = getattr(exc, "detail", "")
        name = getattr(exc, "signal_name", "SIGINT")
        print(f"satcoop {args.command}: interrupted ({name}){': ' + detail if detail else ''}", file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    except Unavailable as exc:
        if os.environ.get("SATCOOP_DEBUG"):
            raise
        print(f"satcoop {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - anything else is a bug, never dressed up as bad input
        if os.environ.get("SATCOOP_DEBUG"):
            raise
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        print(f"satcoop {args.command}: internal error: {type(exc).__name__}: {last} "
              f"(a bug in satcoop; SATCOOP_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
