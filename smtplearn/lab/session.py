"""Session: an SMTP client that sends one command at a time and annotates every reply.

It works against any SMTP server (a LabServer, or a real MTA on localhost port 25).  Replies
are read line by line with a timeout and a length limit, then parsed with
``smtplearn.parse_reply``; a server that closes the connection, stays silent or sends
something that is not an SMTP reply gives a LabError that is also recorded in the transcript,
so a notebook never hangs.  Needs only the standard library (pandas for ``.transcript``).
"""

from __future__ import annotations

import html
import socket
import time
from dataclasses import dataclass, field

from smtplearn.errors import LabError, ReplySyntaxError, SmtplearnError

DEFAULT_TIMEOUT = 10.0  # seconds to wait for each reply
DEFAULT_CLIENT_NAME = "client.example"  # what mail() sends with EHLO when none was sent
MAX_LINE = 4096  # bytes of one reply line read before giving up on it (RFC 5321: 512)
MAX_REPLY_LINES = 200  # lines of one multi-line reply
TRANSCRIPT_COLUMNS = ("sent", "code", "enhanced", "reply", "class", "action")
CONNECT = "(connect)"  # what the transcript shows as sent for the greeting


@dataclass(frozen=True)
class Step:
    """One exchange: what the client sent and the reply, or the error instead of a reply."""

    sent: str
    reply: object = None  # a smtplearn.Reply
    error: str = ""

    @property
    def reply_class(self):
        return _reply_class(self.reply)

    @property
    def action(self):
        return _action(self.reply)

    def row(self) -> dict:
        reply, reply_class, action = self.reply, self.reply_class, self.action
        if reply is None:
            return {"sent": self.sent, "code": None, "enhanced": "", "reply": self.error,
                    "class": "error", "action": ""}
        return {"sent": self.sent, "code": reply.code, "enhanced": reply.enhanced or "",
                "reply": reply.text, "class": str(reply_class) if reply_class else "unknown",
                "action": action.label if action else ""}

    def wire(self) -> str:
        """The reply as the server sent it, or the error."""
        if self.reply is None:
            return f"(error) {self.error}"
        return self.reply.raw or str(self.reply)


def _explained(reply):
    """explain() of a recorded reply, or None for an error step or a reply it cannot read."""
    if reply is None:
        return None
    from smtplearn.explanation import explain

    try:
        return explain(reply)
    except SmtplearnError:
        return None


def _reply_class(reply):
    explanation = _explained(reply)
    return explanation.reply_class if explanation else None


def _action(reply):
    explanation = _explained(reply)
    return explanation.action if explanation else None


@dataclass(frozen=True)
class Delivery:
    """What ``Session.mail`` achieved: who was accepted, who refused, and every reply."""

    accepted: tuple[str, ...]
    refused: dict = field(default_factory=dict)  # recipient -> Reply
    replies: tuple = ()
    final: object = None  # the reply after the message data, or the reply that stopped it

    @property
    def ok(self) -> bool:
        """True when the server took the message (for the accepted recipients)."""
        return bool(self.accepted) and self.final is not None and self.final.code // 100 == 2

    def __repr__(self) -> str:
        final = f"{self.final.code} {self.final.enhanced or ''}".strip() if self.final else "none"
        state = "accepted" if self.ok else "not accepted"
        return (f"<Delivery {state}: {len(self.accepted)} recipient(s) accepted, "
                f"{len(self.refused)} refused, final reply {final}>")


class Session:
    """An SMTP conversation you drive one command at a time, annotated as you go.

    ``Session(server)`` connects to a LabServer; ``Session("127.0.0.1", 25)`` to any server.
    ``send("HELP")`` returns the parsed Reply; ``mail(sender, recipients, body)`` walks
    MAIL / RCPT / DATA; ``transcript`` is a DataFrame of every exchange.
    """

    def __init__(self, server_or_host="127.0.0.1", port: int | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT, client_name: str = DEFAULT_CLIENT_NAME,
                 connect: bool = True):
        if hasattr(server_or_host, "host") and hasattr(server_or_host, "port"):
            host = server_or_host.host
            port = server_or_host.port if port is None else port
        elif isinstance(server_or_host, str) and server_or_host:
            host = server_or_host
            port = 25 if port is None else port
        else:
            raise LabError(f"Session needs a LabServer or a host name such as '127.0.0.1', "
                           f"not {server_or_host!r}")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port <= 65535:
            raise LabError(f"port must be a whole number from 1 to 65535, not {port!r}")
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise LabError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.host, self.port, self.timeout = host, port, float(timeout)
        self.client_name = client_name
        self.steps: list[Step] = []
        self._sock = None
        self._buffer = bytearray()  # bytes received but not yet read as reply lines
        self._greeted = False
        self._in_data = False
        if connect:
            self.connect()

    # --- connection ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self):
        """Open the connection and read the greeting (returned as a Reply)."""
        if self._sock is not None:
            raise LabError("this session is already connected; close() it first")
        try:
            self._sock = socket.create_connection((self.host, self.port), self.timeout)
        except OSError as error:
            self._sock = None
            raise self._fail(CONNECT, _connect_problem(self.host, self.port, error)) from None
        self._buffer = bytearray()
        self._greeted = self._in_data = False
        return self._exchange(CONNECT, None)

    def close(self) -> None:
        """Drop the connection without QUIT (safe to call twice)."""
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def __del__(self):  # re-running a notebook cell drops the old session: close it quietly
        try:
            self.close()
        except Exception:
            pass

    def quit(self):
        """Send QUIT, read the 221, and close."""
        reply = self.send("QUIT")
        self.close()
        return reply

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        if self._sock is not None and not self._in_data:
            try:
                self.quit()
            except LabError:
                pass
        self.close()

    # --- talking ---------------------------------------------------------------------------

    def send(self, command: str):
        """Send one command line (no CRLF needed) and return the server's parsed Reply."""
        if not isinstance(command, str):
            raise LabError(f"a command is a string such as 'HELP', not {command!r}")
        if "\r" in command or "\n" in command:
            raise LabError(f"send one command line at a time, without line breaks: {command!r}")
        if self._in_data:
            raise LabError("the server is waiting for the message after its 354 reply: "
                           "call data(body) to send it")
        reply = self._exchange(command, command.encode("utf-8") + b"\r\n")
        verb = command.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO") and reply.code == 250:
            self._greeted = True
        elif verb == "DATA" and reply.code == 354:
            self._in_data = True
        elif verb == "QUIT" and reply.code == 221:
            self.close()
        return reply

    def data(self, body):
        """Send the message after a 354 reply (dot-stuffed, ended with a lone dot)."""
        if not self._in_data:
            raise LabError("data() comes after DATA has been answered with 354; "
                           "send('DATA') first, or use mail()")
        payload = _message_bytes(body)
        lines = payload.count(b"\r\n")
        self._in_data = False
        return self._exchange(f"(message, {lines} lines) .", payload + b".\r\n")

    def mail(self, sender: str, recipients, body="", *, mail_options=(), rcpt_options=()):
        """Walk one mail transaction (EHLO if needed, MAIL, RCPT each, DATA, message).

        Stops at the first reply that ends the transaction, like a real client; returns a
        Delivery with the accepted and refused recipients and every reply.
        """
        if isinstance(recipients, str):
            recipients = [recipients]
        recipients = list(recipients)
        if not recipients:
            raise LabError("mail() needs at least one recipient")
        _message_bytes(body)  # a bad body is refused before anything is sent
        replies = []
        if not self._greeted:
            reply = self.send(f"EHLO {self.client_name}")
            replies.append(reply)
            if reply.code // 100 == 5:
                reply = self.send(f"HELO {self.client_name}")
                replies.append(reply)
            if reply.code != 250:
                return Delivery((), {}, tuple(replies), reply)
        reply = self.send(_with_options(f"MAIL FROM:<{sender}>", mail_options))
        replies.append(reply)
        if reply.code // 100 != 2:
            return Delivery((), {}, tuple(replies), reply)
        accepted, refused = [], {}
        for recipient in recipients:
            reply = self.send(_with_options(f"RCPT TO:<{recipient}>", rcpt_options))
            replies.append(reply)
            if reply.code // 100 == 2:
                accepted.append(recipient)
            else:
                refused[recipient] = reply
            if not self.connected:
                return Delivery(tuple(accepted), refused, tuple(replies), reply)
        if not accepted:
            replies.append(self.send("RSET"))
            return Delivery((), refused, tuple(replies), reply)
        reply = self.send("DATA")
        replies.append(reply)
        if reply.code != 354:
            return Delivery(tuple(accepted), refused, tuple(replies), reply)
        reply = self.data(body)
        replies.append(reply)
        return Delivery(tuple(accepted), refused, tuple(replies), reply)

    def _exchange(self, sent: str, payload: bytes | None):
        if self._sock is None:
            raise self._fail(sent, "not connected (the connection was closed); "
                                   "call connect() to start again")
        try:
            if payload is not None:
                self._sock.sendall(payload)
            text = self._read_reply()
        except socket.timeout:
            problem = f"no complete reply within {self.timeout:g} seconds"
        except OSError as error:
            problem = f"the connection failed: {error.strerror or error}"
        except _ServerClosed:
            problem = "the server closed the connection"
        else:
            try:
                reply = _parse_server_reply(text)
            except ReplySyntaxError as error:
                problem = f"the server sent something that is not an SMTP reply ({error})"
            else:
                self.steps.append(Step(sent, reply))
                if reply.code == 421:  # the server is closing the channel (RFC 5321 sec 3.8)
                    self.close()
                return reply
        self.close()
        self._in_data = False
        raise self._fail(sent, problem)

    def _fail(self, sent: str, problem: str) -> LabError:
        self.steps.append(Step(sent, None, problem))
        return LabError(f"{sent}: {problem}")

    def _read_reply(self) -> str:
        """One reply's lines, within ``timeout`` seconds in all (a trickling server included)."""
        deadline = time.monotonic() + self.timeout
        lines = []
        for _ in range(MAX_REPLY_LINES):
            raw = self._read_line(deadline)
            if not raw:
                if lines:
                    break  # what came before the close is judged by the parser
                raise _ServerClosed()
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            lines.append(line)
            if not raw.endswith(b"\n") or len(line) < 4 or line[3] != "-":
                break
        else:
            raise ReplySyntaxError(f"more than {MAX_REPLY_LINES} lines in one reply")
        return "\n".join(lines)

    def _read_line(self, deadline: float) -> bytes:
        """Up to a newline, at most MAX_LINE bytes, or what came before the server closed."""
        buffer = self._buffer
        while True:
            end = buffer.find(b"\n", 0, MAX_LINE)
            if end >= 0 or len(buffer) >= MAX_LINE:
                cut = end + 1 if end >= 0 else MAX_LINE
                line = bytes(buffer[:cut])
                del buffer[:cut]
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout()
            self._sock.settimeout(remaining)
            chunk = self._sock.recv(65536)
            if not chunk:
                line = bytes(buffer)
                buffer.clear()
                return line
            buffer += chunk

    # --- what a notebook shows -------------------------------------------------------------

    @property
    def replies(self) -> list:
        return [step.reply for step in self.steps if step.reply is not None]

    @property
    def transcript(self):
        """Every exchange as a pandas DataFrame: sent, code, enhanced, reply, class, action."""
        import pandas as pd

        frame = pd.DataFrame([step.row() for step in self.steps], columns=TRANSCRIPT_COLUMNS)
        frame["code"] = frame["code"].astype("Int64")
        return frame

    def transcript_text(self) -> str:
        """The exchanges as plain text: C: for the client, S: for the server, then the class."""
        out = []
        for step in self.steps:
            out.append(f"C: {step.sent}")
            for line in step.wire().split("\n"):
                out.append(f"S: {line}")
            row = step.row()
            out.append(f"   -> {row['class']}" + (f"; {row['action']}" if row["action"] else ""))
        return "\n".join(out)

    def _repr_html_(self) -> str:
        from smtplearn.render import CLASS_COLOURS, badge_html

        cell = ('style="text-align: left; vertical-align: top; padding: 0.2em 0.6em; '
                'border-bottom: 1px solid var(--jp-border-color2, #e0e0e0);"')
        keep = ('style="text-align: left; vertical-align: top; padding: 0.2em 0.6em; '
                'white-space: nowrap; border-bottom: 1px solid var(--jp-border-color2, #e0e0e0);"')
        mono = "font-family: var(--jp-code-font-family, monospace); white-space: pre-wrap;"
        sent_style = "font-family: var(--jp-code-font-family, monospace); white-space: pre;"
        rows = []
        for number, step in enumerate(self.steps, 1):
            if step.reply is None:
                badge = (f'<span class="smtplearn-badge smtplearn-error" style="padding: 0 0.5em; '
                         f'border: 1px solid {CLASS_COLOURS["permanent"]};">error</span>')
                action = ""
            else:
                badge = badge_html(step.reply_class)
                action = html.escape(step.action.label) if step.action else ""
            rows.append(
                f"<tr><td {cell}>{number}</td>"
                f'<td {cell}><code style="{sent_style}">{html.escape(step.sent)}</code></td>'
                f'<td {cell}><code style="{mono}">{html.escape(step.wire())}</code></td>'
                f"<td {keep}>{badge}</td><td {keep}>{action}</td></tr>")
        head = "".join(f"<th {cell}>{h}</th>" for h in ("#", "Sent", "Reply", "Class", "Action"))
        return (f'<table class="smtplearn-transcript" style="border-collapse: collapse;">'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def __repr__(self) -> str:
        state = "open" if self.connected else "closed"
        return f"<Session {state}, {len(self.steps)} exchanges>"


class _ServerClosed(Exception):
    pass


def _parse_server_reply(text: str):
    from smtplearn.replies import parse_reply

    head = text[:3]
    if not head.isdigit():
        shown = text[:60] + ("..." if len(text) > 60 else "")
        raise ReplySyntaxError(f"a reply starts with a three-digit code; got {shown!r}")
    return parse_reply(text)


def _with_options(command: str, options) -> str:
    if isinstance(options, str):
        options = [options]
    return " ".join([command, *options])


def _message_bytes(body) -> bytes:
    """The message as CRLF lines, dot-stuffed (RFC 5321 sec 4.5.2), ending with CRLF."""
    if hasattr(body, "as_bytes"):
        body = body.as_bytes()
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, (bytes, bytearray)):
        raise LabError(f"the message body must be text, bytes or an email message, "
                       f"not {type(body).__name__}")
    lines = bytes(body).replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n"
                    for line in lines)


def _connect_problem(host: str, port: int, error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return f"nothing is listening on {host} port {port} (is the server started?)"
    if isinstance(error, socket.timeout):
        return f"no answer from {host} port {port}"
    return f"cannot connect to {host} port {port}: {error.strerror or error}"
