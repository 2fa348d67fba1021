"""The ``tbwriter`` command (also ``python -m tbwriter``): one subcommand per module in ``tbwriter.cli``.

    tbwriter demo runs/demo
    tbwriter ls runs/demo
    tbwriter --help

Every failure is one line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import io
import sys
from typing import NoReturn

from tbwriter import __version__
from tbwriter.cli.printable import shown
from tbwriter.errors import CommandError

# subcommand -> module in tbwriter.cli exposing `configure(parser)` and `run(args) -> int`
COMMANDS = {
    "demo": "demo",
    "ls": "ls",
    "export": "export",
    "convert": "convert",
    "plot": "plot",
    "report": "report",
    "serve": "serve",
    "hparams": "hparams",
    "tail": "tail",
    "compact": "compact",
}


# what `tbwriter --help` opens with: for users, where the module docstring above is for whoever adds a command
DESCRIPTION = """\
TensorBoard logs in a terminal, without TensorFlow: list, export, convert, plot and follow them.

common commands:
  tbwriter demo runs/demo                             log a small training run to try the others on
  tbwriter ls runs/demo                               its runs and tags: kind, points, steps
  tbwriter export runs/demo -o scalars.csv            every scalar as CSV (run,tag,step,wall_time,value)
  tbwriter plot runs/demo -o curves.png --tag epoch/  a figure of the curves (the plot extra: matplotlib)
  tbwriter report runs/demo -o report.html            one HTML file to open in any browser, offline
  tbwriter serve runs/demo                            the same page, live, at http://127.0.0.1:6007/
  tbwriter hparams runs/demo                          the hparams sessions as a table, best first
  tbwriter tail runs/demo                             each new point while training writes it

`tbwriter COMMAND --help` shows a command's options, with examples."""



class _Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line (``--help`` shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``tbwriter`` parser with a subparser per command: ``build_parser().parse_args(["ls", "runs"])``."""
    parser = _Parser(prog="tbwriter", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tbwriter {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"tbwriter.cli.{module_name}")
        doc = (module.__doc__ or "").strip()
        p = sub.add_parser(name, help=doc.split("\n")[0], description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line: ``main(["demo", "runs/demo"])`` returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    if isinstance(sys.stdout, io.TextIOWrapper):
        # a run directory named in another encoding comes back from os.listdir as surrogate escapes:
        # print its bytes as they were rather than fail half-way through a listing or an export
        sys.stdout.reconfigure(errors="surrogateescape")
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print(f"tbwriter {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tbwriter export ... | head`
        return 0
    except MemoryError as e:  # a read of a large logdir (the reader names the file), or anything else
        tags = "--tag REGEX" if hasattr(args, "tag") else "tags=REGEX in Python (read_scalars...)"
        print(f"tbwriter {args.command}: error: {_one_line(e) if str(e) else 'out of memory'}; read fewer tags "
              f"({tags}) or allow the process more memory", file=sys.stderr)
        return 1
    except (CommandError, OSError, ValueError, TypeError, ImportError) as e:
        print(f"tbwriter {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return 1


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, OSError) and error.filename and str(error.filename) not in text:
        text += f": {error.filename}"
    return shown(" ".join(text.split()))


if __name__ == "__main__":
    sys.exit(main())
