"""The ``smtplearn`` command line (also ``python -m smtplearn``).

Every subcommand is a thin layer over the library: it parses arguments, calls the core and
prints one of its renderings.  Bad input exits with status 2 and a one-line message on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from smtplearn.errors import SmtplearnError

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smtplearn",
        description="Learn SMTP reply codes: look them up, explain real replies, compare codes, "
                    "take a quiz, or run a live SMTP lab on 127.0.0.1.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_lookup_parser(sub)
    _add_explain_parser(sub)
    _add_compare_parser(sub)
    _add_quiz_parser(sub)
    _add_lab_parser(sub)
    return parser


def _add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help="how to print the result (default: text)")


# --- lookup / explain / compare -------------------------------------------------------------

def _add_lookup_parser(sub) -> None:
    parser = sub.add_parser("lookup", help="show the catalog entry of a code (211, 5.1.1, X.1.X)")
    parser.add_argument("code", help="a basic code such as 211 or an enhanced code such as 5.1.1")
    _add_format_option(parser)
    parser.set_defaults(run=_run_lookup)


def _run_lookup(args) -> int:
    raise NotImplementedError("lookup subcommand")


def _add_explain_parser(sub) -> None:
    parser = sub.add_parser("explain", help="explain a server reply or a code")
    parser.add_argument("reply", help="a reply such as '550 5.1.1 User unknown', or - for stdin")
    _add_format_option(parser)
    parser.set_defaults(run=_run_explain)


def _run_explain(args) -> int:
    raise NotImplementedError("explain subcommand")


def _add_compare_parser(sub) -> None:
    parser = sub.add_parser("compare", help="compare two codes, e.g. 211 504")
    parser.add_argument("first")
    parser.add_argument("second")
    _add_format_option(parser)
    parser.set_defaults(run=_run_compare)


def _run_compare(args) -> int:
    raise NotImplementedError("compare subcommand")


# --- quiz -------------------------------------------------------------------------------------

def _add_quiz_parser(sub) -> None:
    parser = sub.add_parser("quiz", help="take a reply-code quiz in the terminal")
    parser.set_defaults(run=_run_quiz)


def _run_quiz(args) -> int:
    raise NotImplementedError("quiz subcommand")


# --- lab --------------------------------------------------------------------------------------

def _add_lab_parser(sub) -> None:
    parser = sub.add_parser("lab", help="run a lab SMTP server on 127.0.0.1 in the foreground")
    parser.set_defaults(run=_run_lab)


def _run_lab(args) -> int:
    raise NotImplementedError("lab subcommand")


# ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SmtplearnError as error:
        print(f"smtplearn {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
