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


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit 2), like bad input."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    parser = sub.add_parser(
        "lookup", help="show the catalog entry of a code (211, 5.1.1, X.1.X)",
        description="Show the catalog entry of a basic reply code or an enhanced status code.",
        epilog="examples: smtplearn lookup 211 | smtplearn lookup 5.1.1 --format json | "
               "smtplearn lookup X.7.X")
    parser.add_argument("code", help="a basic code such as 211 or an enhanced code such as 5.1.1")
    _add_format_option(parser)
    parser.set_defaults(run=_run_lookup)


def _run_lookup(args) -> int:
    from smtplearn.codes import lookup

    _print(lookup(args.code), args.format)
    return EXIT_OK


def _add_explain_parser(sub) -> None:
    parser = sub.add_parser(
        "explain", help="explain a server reply or a code",
        description="Explain a server reply (as a server sent it, or as a bounce message quotes "
                    "it) or a code: its class, subject, what to do and who should act, and "
                    "anything unusual about it.  With - the replies are read from standard input, "
                    "one per line; a multi-line reply (250-... up to 250 ...) stays together.",
        epilog="examples: smtplearn explain \"550 5.1.1 <bob@example.org>: Recipient address "
               "rejected\" | smtplearn explain 571 | smtplearn explain - < bounces.txt")
    parser.add_argument("reply", help="a reply such as '550 5.1.1 User unknown', a code, or - for stdin")
    _add_format_option(parser)
    parser.set_defaults(run=_run_explain)


def _run_explain(args) -> int:
    from smtplearn.explanation import explain

    if args.reply != "-":
        _print(explain(args.reply), args.format)
        return EXIT_OK
    from smtplearn.errors import ReplySyntaxError
    from smtplearn.replies import split_replies_numbered

    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    replies = split_replies_numbered(sys.stdin.read())
    if not replies:
        raise _NoInput("no reply on standard input: give one reply per line, "
                       "e.g. echo '550 5.1.1 User unknown' | smtplearn explain -")
    explanations, failed = [], 0
    for start, text in replies:
        try:
            explanations.append(explain(text))
        except SmtplearnError as error:
            failed += 1
            where, message = f"stdin line {start}", _one_line(error)
            if isinstance(error, ReplySyntaxError) and error.line is not None:
                where = f"stdin line {start + error.line - 1}"
                where += f", column {error.column}" if error.column is not None else ""
                message = message.split(": ", 1)[1] if message.startswith("line ") else message
            print(f"smtplearn explain: {where}: {message}", file=sys.stderr)
    if args.format == "json":
        import json

        print(json.dumps([e.to_dict() for e in explanations], indent=2, ensure_ascii=False))
    else:
        for number, explanation in enumerate(explanations):
            if number:
                print()
            _print(explanation, args.format)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _add_compare_parser(sub) -> None:
    parser = sub.add_parser(
        "compare", help="compare two codes, e.g. 211 504",
        description="Compare two codes: two basic codes, two enhanced codes, or one of each. "
                    "Prints a card per code, the key differences and what to do about each.",
        epilog="examples: smtplearn compare 211 504 | smtplearn compare 450 550 | "
               "smtplearn compare 550 5.1.1 --format markdown")
    parser.add_argument("first", help="a code such as 211 or 5.1.1")
    parser.add_argument("second", help="a code such as 504 or 5.2.2")
    _add_format_option(parser)
    parser.set_defaults(run=_run_compare)


def _run_compare(args) -> int:
    from smtplearn.comparison import compare

    _print(compare(args.first, args.second), args.format)
    return EXIT_OK


def _print(thing, output_format: str) -> None:
    """Print one of the core's objects as text, Markdown or JSON."""
    if output_format == "json":
        import json

        print(json.dumps(thing.to_dict(), indent=2, ensure_ascii=False))
    elif output_format == "markdown":
        print(thing._repr_markdown_().rstrip("\n"))
    else:
        print(str(thing))


class _NoInput(SmtplearnError, ValueError):
    """Standard input held no reply at all."""


# --- quiz -------------------------------------------------------------------------------------

def _add_quiz_parser(sub) -> None:
    parser = sub.add_parser(
        "quiz", help="take a reply-code quiz in the terminal",
        description="Answer each question with a choice's number or its text (or its first word, "
                    "such as 5xx or 550). End of input (Ctrl-D) stops the quiz and prints the "
                    "score so far.")
    parser.add_argument("--kind", choices=("classes", "retry", "meanings"), default="classes",
                        help="classes: which class is a code or reply; retry: retry later or fix "
                             "first; meanings: which code fits a text (default: classes)")
    parser.add_argument("--classes", default="2,5", metavar="DIGITS",
                        help="for --kind classes: the classes to tell apart, e.g. 2,5 or 2,3,4,5 "
                             "(default: 2,5)")
    parser.add_argument("-n", type=int, default=10, metavar="N",
                        help="how many questions (default: 10)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the same seed gives the same questions in the same order")
    parser.add_argument("--mode", choices=("practice", "exam"), default="practice",
                        help="practice: feedback after each answer, a second try allowed; "
                             "exam: one answer each, marks at the end (default: practice)")
    parser.add_argument("--bank", metavar="FILE",
                        help="ask the questions of a teacher's bank (TOML or JSON) instead")
    parser.add_argument("--results", metavar="CSV",
                        help="write the results to this CSV file when the quiz ends")
    parser.set_defaults(run=_run_quiz)


def _run_quiz(args) -> int:
    from smtplearn import data
    from smtplearn.errors import QuizError
    from smtplearn.quiz import Quiz

    texts = data.load("quiz")["cli"]
    if args.bank:
        quiz = Quiz.from_file(args.bank, seed=args.seed, mode=args.mode)
    elif args.kind == "classes":
        quiz = Quiz.classes(args.classes, n=args.n, seed=args.seed, mode=args.mode)
    elif args.kind == "retry":
        quiz = Quiz.retry(n=args.n, seed=args.seed, mode=args.mode)
    else:
        quiz = Quiz.meanings(n=args.n, seed=args.seed, mode=args.mode)
    echo = not sys.stdin.isatty()  # piped answers are echoed so the transcript reads well
    print(quiz.title)
    shown = None
    try:
        while not quiz.done:
            question = quiz.current
            if shown != quiz.index:
                shown = quiz.index
                print()
                print(question.to_text(quiz.index + 1, quiz.total))
                quiz.restart_clock()
            try:
                line = input(texts["ask"])
            except EOFError:
                print()
                print(texts["end_of_input"])
                break
            if echo:
                print(line)
            if not line.strip():
                continue
            text = line.strip()
            if text.isdigit() and 1 <= int(text) <= len(question.choices):
                text = question.choices[int(text) - 1]
            try:
                feedback = quiz.answer(text)
            except QuizError as error:
                print(f"{error}. {texts['invalid'].format(count=len(question.choices))}")
                continue
            print(feedback.text)
            if feedback.explanation:
                print(feedback.explanation)
    except KeyboardInterrupt:  # keep the answers given so far: report them as at end of input
        print()
        print(texts["end_of_input"])
    print()
    if quiz.done and quiz.mode == "exam":
        for feedback in quiz.review():
            print(f"{feedback.number}. {feedback.text}")
        print()
    print(quiz.summary)
    if args.results:
        quiz.to_csv(args.results)
        print(texts["results_saved"].format(path=args.results))
    return EXIT_OK


# --- lab --------------------------------------------------------------------------------------

def _add_lab_parser(sub) -> None:
    parser = sub.add_parser(
        "lab", help="run a lab SMTP server on 127.0.0.1 in the foreground",
        description="Run a real SMTP server on 127.0.0.1 whose replies follow a scenario, print "
                    "how to connect to it, and print every exchange.  Nothing is ever relayed "
                    "or delivered.  Stop with Ctrl-C (or SIGTERM).")
    parser.add_argument("--scenario", default="classic",
                        help="a shipped scenario name or a .toml file (default: classic; "
                             "--list shows the names)")
    parser.add_argument("--port", type=int, default=2525,
                        help="port to listen on (default: 2525; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a --host other machines can reach (off by default)")
    parser.add_argument("--hostname", default=None,
                        help="the domain the server names in its greeting (default: lab.example)")
    parser.add_argument("--greylist-delay", type=float, default=None, metavar="SECONDS",
                        help="seconds a greylisted client must wait before its retry is accepted")
    parser.add_argument("--list", action="store_true", help="list the shipped scenarios and exit")
    parser.set_defaults(run=_run_lab)


def _run_lab(args) -> int:
    import signal
    import threading

    from smtplearn.lab import LabServer, load_scenario, scenario_names

    if args.list:
        for name in scenario_names():
            scenario = load_scenario(name)
            print(f"{name:14} {scenario.title}: {scenario.summary}")
        return EXIT_OK
    settings = {} if args.greylist_delay is None else {"greylist_delay": args.greylist_delay}
    if args.hostname is not None:
        settings["hostname"] = args.hostname

    def show(exchange) -> None:
        lines = [f"[{exchange.session}] C: {exchange.command or '(connect)'}"]
        lines += [f"[{exchange.session}] S: {line}" for line in exchange.reply.split("\n")]
        print("\n".join(lines), flush=True)

    server = LabServer(args.scenario, host=args.host, port=args.port,
                       allow_remote=args.allow_remote, on_exchange=show, **settings)
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set())
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        host, port = server.host, server.port
        scenario = server.scenario
        print(f"smtplearn lab: scenario {scenario.name} ({scenario.title}) "
              f"listening on {host} port {port}", flush=True)
        print(f"{scenario.summary}\n"
              f"Connect with any of:\n"
              f"  telnet {host} {port}\n"
              f"  swaks --server {host}:{port} --from you@lab.example --to student@lab.example\n"
              f"  python3 -c \"import smtplib; s = smtplib.SMTP('{host}', {port}); "
              f"print(s.ehlo()); print(s.help())\"\n"
              f"  in Python: from smtplearn.lab import Session; "
              f"s = Session('{host}', {port}); s.send('HELP')\n"
              f"Mail stays in this process and goes nowhere else.  "
              f"Every exchange is shown below; stop with Ctrl-C.", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    print(f"smtplearn lab: stopped; {len(server.received)} message(s) were received",
          flush=True)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SmtplearnError as error:
        print(f"smtplearn {args.command}: {_one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into head: the reader has gone, nothing to report
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _one_line(error) -> str:
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
