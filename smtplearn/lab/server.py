"""LabServer: a real aiosmtpd server on loopback whose replies come from a lab scenario.

aiosmtpd does all the SMTP framing and command parsing.  The scenario's rules are plugged in
where aiosmtpd expects behaviour: the handler hooks (``handle_MAIL``, ``handle_RCPT`` ...) and a
few ``smtp_VERB`` methods of an ``SMTP`` subclass (HELP, EXPN, AUTH, and a check before each
command for rules that must answer before aiosmtpd's own checks).  Accepted mail stays in
memory: the lab never relays or delivers anything.

aiosmtpd is pinned to 1.4 because a few of its private names are used; check them before
moving the pin: ``SMTP._cb_client_connected`` and ``SMTP._reader`` (the command log),
``SMTP._getaddr`` and ``SMTP._strip_command_keyword`` (address parsing; our ``_getaddr`` must
keep answering as aiosmtpd's does, which tests/test_lab_server.py checks), and the
``Controller`` hooks ``_create_server``, ``_trigger_server``, ``_factory_invoker``,
``_cleanup`` and ``_thread`` (serving a socket bound here, so port 0 works).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import email
import email.policy
import ipaddress
import logging
import socket
import threading
import time
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from typing import NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, sanitize

from smtplearn.errors import LabError
from smtplearn.lab.scenarios import AUTH_MECHANISMS, COMMANDS, check_setting, load_scenario

DEFAULT_HOSTNAME = "lab.example"  # the greeting domain: fixed, so notebook outputs are stable
START_TIMEOUT = 5.0  # seconds for the server thread to come up
STOP_TIMEOUT = 3.0  # seconds stop() waits for the server thread, open sessions or not
LOG_LIMIT = 10_000  # exchanges kept in .log (the oldest are dropped beyond this)
GREYLIST_LIMIT = 10_000  # (client, sender, recipient) triplets remembered
_LOG_COMMAND_LIMIT = 200  # characters of a client line kept in the log

_RUNNING: set = set()  # started servers, stopped at interpreter exit

# aiosmtpd logs through "mail.log"; without a handler Python would print its warnings (with
# client ports) to stderr, into notebook outputs.  The lab's own .log records every exchange.
logging.getLogger("mail.log").addHandler(logging.NullHandler())


class LabMessage(NamedTuple):
    """A message the lab accepted, with its envelope; it went nowhere else."""

    sender: str
    recipients: tuple[str, ...]
    content: bytes
    mail_options: tuple[str, ...] = ()
    rcpt_options: tuple[str, ...] = ()
    session: int = 0

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def message(self) -> email.message.EmailMessage:
        """The content parsed as an e-mail message (headers and body)."""
        return email.message_from_bytes(self.content, policy=email.policy.default)

    def __repr__(self) -> str:
        return (f"<LabMessage from {self.sender!r} to {list(self.recipients)!r}, "
                f"{len(self.content)} bytes>")


class LabExchange(NamedTuple):
    """One line from a client and the server's reply (command None: the greeting).

    A named tuple: the log holds thousands, and tuples of strings cost the garbage collector
    nothing.
    """

    session: int
    command: str | None
    reply: str

    @property
    def code(self) -> int | None:
        head = self.reply[:3]
        return int(head) if head.isdigit() else None

    def __str__(self) -> str:
        sent = "(connect)" if self.command is None else self.command
        reply = self.reply.replace("\n", "\n    ")
        return f"[{self.session}] C: {sent}\n    S: {reply}"


class _CommandReader:
    """Wraps aiosmtpd's stream reader to note each command line for the lab's log.

    LabSMTP puts the plain reader back while a message is sent (message lines are not
    logged), so this wrapper costs nothing per message line.
    """

    __slots__ = ("_reader", "_protocol")

    def __init__(self, reader, protocol):
        self._reader = reader
        self._protocol = protocol

    async def readuntil(self, separator=b"\n"):
        try:
            line = await self._reader.readuntil(separator)
        except asyncio.LimitOverrunError:
            self._protocol._overlong = True
            raise
        self._protocol._note_command(line)
        return line

    def __getattr__(self, name):
        return getattr(self._reader, name)


class LabSMTP(SMTP):
    """aiosmtpd's SMTP with the lab's scenario, log and greeting wired in."""

    def __init__(self, handler, *, lab, **kwargs):
        super().__init__(handler, **kwargs)
        self.lab = lab
        self.lab_session = 0
        self._probe = False
        self._command: str | None = None
        self._in_data = False
        self._overlong = False
        self._greeting: list[str] | None = None
        self._close_after = False
        self._reply_lines: list[str] = []
        self._data_rule: list[str] | None = None  # a scenario's own 354 lines
        # The lines of a rule's reply, set by the hook that returns it (aiosmtpd pushes the
        # joined string next), so push() need not split it again; None otherwise.
        self._from_rule: list[str] | None = None
        self._plain_reader = self._command_reader = None  # see _cb_client_connected

    # --- connection ------------------------------------------------------------------------

    def connection_made(self, transport):
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        lab = self.lab
        if peer and peer[1] in lab.probe_ports:
            lab.probe_ports.discard(peer[1])
            self._probe = True
            return
        if lab.closing:  # accepted while the server is stopping
            transport.abort()
            return
        self.lab_session = lab.next_session()
        lab.connections.add(self)
        rule = lab.scenario.match("CONNECT", {"command": "CONNECT"})
        if rule is not None:
            self._greeting = lab.reply_lines(rule, self, enhanced=False)
            self._close_after = rule.close

    async def say_goodbye(self) -> None:
        """The scenario's STOP reply (421), unless the client is sending a message; then close."""
        rule = self.lab.scenario.match("STOP", self.facts("STOP"))
        if rule is not None and not self._in_data and self.transport is not None:
            self._command = "(the lab server is stopping)"
            try:
                await self.reply_with(rule, {})
            except (ConnectionError, RuntimeError):
                pass
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, error):
        self.lab.connections.discard(self)
        super().connection_lost(error)

    def _cb_client_connected(self, reader, writer):
        self._plain_reader, self._command_reader = reader, _CommandReader(reader, self)
        super()._cb_client_connected(self._command_reader, writer)

    def _note_command(self, line: bytes) -> None:
        if self._overlong:
            self._overlong = False
            self._command = f"(a line longer than {self.line_length_limit} bytes)"
            return
        line = line.rstrip(b"\r\n")
        if line[:4].upper() == b"AUTH":
            line = sanitize(line)  # no credentials in the log
        text = line.decode("utf-8", errors="replace")
        if len(text) > _LOG_COMMAND_LIMIT:
            text = text[:_LOG_COMMAND_LIMIT] + f"... ({len(line)} bytes)"
        self._command = text

    # --- replies ---------------------------------------------------------------------------

    async def push(self, status):
        if isinstance(status, bytes):
            status = status.decode("utf-8", errors="replace")
        if self._greeting is not None:  # the first push of a session is aiosmtpd's greeting
            lines, self._greeting = self._greeting, None
        elif self._from_rule is not None:  # a scenario's reply, as the scenario declares it
            lines, self._from_rule = self._from_rule, None
        else:
            lines = self._with_enhanced(status.split("\r\n"))
        if lines[-1][:3] == "354":
            if self._data_rule is not None:
                lines, self._data_rule = self._data_rule, None
            self._in_data = True
            if self._plain_reader is not None:  # message lines are read without noting
                self._reader = self._plain_reader
        self._record(lines)  # before sending: once a client has the reply, the log has it too
        await super().push("\r\n".join(lines))
        if self._close_after and self.transport is not None:
            self.transport.close()

    def _with_enhanced(self, lines: list[str]) -> list[str]:
        """aiosmtpd's own replies with the enhanced code RFC 2034 asks for, where missing."""
        lab = self.lab
        if not lab.enhanced or self._replying_to_hello:
            return lines
        out = []
        for line in lines:
            code, rest = line[:3], line[4:]
            default = lab.enhanced_defaults.get(code)
            if default and not _starts_with_enhanced(rest):
                line = f"{line[:4]}{default} {rest}".rstrip()
            out.append(line)
        return out

    @property
    def _replying_to_hello(self) -> bool:
        command = (self._command or "")[:4].upper()
        return command in ("EHLO", "HELO")

    def _record(self, lines: list[str]) -> None:
        if self._probe:
            return
        last = lines[-1]
        if len(last) > 3 and last[3] == "-":
            self._reply_lines.extend(lines)
            return  # a multi-line reply continues
        if self._reply_lines:
            self._reply_lines.extend(lines)
            reply = "\n".join(self._reply_lines)
            self._reply_lines = []
        else:  # the usual case: the whole reply in one push, most often one line
            reply = last if len(lines) == 1 else "\n".join(lines)
        self.lab.record(LabExchange(self.lab_session, self._command, reply))
        code = last[:3]
        if code == "354":
            self._command = "."
        elif code == "334":
            self._command = "********"  # the client's AUTH response, never logged
        else:
            if self._in_data:
                self._in_data = False
                if self._command_reader is not None:
                    self._reader = self._command_reader
            self._command = None

    async def reply_with(self, rule, facts) -> None:
        """Send the reply a rule declares; close afterwards when the rule says so."""
        self._close_after = self._close_after or rule.close
        lines = self._from_rule = self.lab.reply_lines(rule, self, facts)
        await self.push("\r\n".join(lines))

    # --- commands --------------------------------------------------------------------------

    def _getaddr(self, arg):
        """The address of a MAIL/RCPT/VRFY argument and the text after it, as aiosmtpd reads it.

        Same parser, same answers as aiosmtpd 1.4's own ``_getaddr`` (a property test compares
        the two), without the ``typing.Protocol`` class that one defines on every call: that
        class alone cost about a quarter of the parse, twice per message.
        """
        if not arg:
            return "", ""
        parse = get_angle_addr if arg.lstrip().startswith("<") else get_addr_spec
        try:
            address, rest = parse(arg)
        except HeaderParseError:
            return None, None
        addr = address.addr_spec
        limit = self.local_part_limit
        if limit and len(addr.rpartition("@")[0]) > limit:
            return None, None
        return addr, rest

    def facts(self, command: str, **extra) -> dict:
        """What rules may test about this command: its argument, the envelope, AUTH state."""
        session = self.session
        extra["command"] = command
        extra["authenticated"] = session is not None and bool(session.authenticated)
        extra["auth_offered"] = self.lab.auth_offered
        extra["size_limit"] = self.lab.size_limit
        return extra

    async def _answered_first(self, command: str, arg) -> bool:
        """Rules for ANY command, tried before aiosmtpd looks at the command; True if answered."""
        rules = self.lab.scenario.rules_for("ANY")
        if not rules:
            return False
        facts = self.facts(command, argument=arg or "")
        rule = self.lab.scenario.match("ANY", facts)
        if rule is None:
            return False
        await self.reply_with(rule, facts)
        return True

    async def _answered_by_parameters(self, command: str, arg) -> bool:
        """MAIL/RCPT rules about a parameter, tried before aiosmtpd's own parameter checks."""
        scenario = self.lab.scenario
        if arg is None or not scenario.tests_parameters(command):
            return False
        keyword = "FROM:" if command == "MAIL" else "TO:"
        rest = self._strip_command_keyword(keyword, arg)
        if rest is None:
            return False
        address, options = self._getaddr(rest)
        if not address or not options:
            return False
        parameters = {}
        for option in options.upper().split():
            name, equals, value = option.partition("=")
            if not name.isalnum() or (equals and not value):
                return False  # malformed: aiosmtpd answers 501
            parameters[name] = value
        envelope = self.envelope
        facts = self.facts(command, argument=arg, parameters=parameters,
                           sender=address if command == "MAIL" else envelope.mail_from,
                           recipient=address if command == "RCPT" else None)
        rule = scenario.match_parameters(command, facts)
        if rule is None:
            return False
        facts["value"] = parameters.get(rule.conditions["parameter"], "")
        await self.reply_with(rule, facts)
        return True

    async def smtp_EHLO(self, hostname):
        if not await self._answered_first("EHLO", hostname):
            await super().smtp_EHLO(hostname)

    async def smtp_HELO(self, hostname):
        if not await self._answered_first("HELO", hostname):
            await super().smtp_HELO(hostname)

    # MAIL, RCPT and DATA come with every message: the scenario's flags are tested first, so
    # that a scenario without ANY or parameter rules costs no extra coroutine per command.
    async def smtp_MAIL(self, arg):
        lab = self.lab
        if not ((lab.answers_any and await self._answered_first("MAIL", arg))
                or ("MAIL" in lab.parameter_phases
                    and await self._answered_by_parameters("MAIL", arg))):
            await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        lab = self.lab
        if not ((lab.answers_any and await self._answered_first("RCPT", arg))
                or ("RCPT" in lab.parameter_phases
                    and await self._answered_by_parameters("RCPT", arg))):
            await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg):
        if self.lab.answers_any and await self._answered_first("DATA", arg):
            return
        facts = self.facts("DATA", argument=arg or "", sender=self.envelope.mail_from,
                           recipients=tuple(self.envelope.rcpt_tos))
        rule = self.lab.scenario.match("DATA", facts)
        self._data_rule = None
        if rule is not None and rule.code != 354:
            if self.envelope.rcpt_tos and not arg:  # a refusal, where aiosmtpd would say 354
                await self.reply_with(rule, facts)
                return
        elif rule is not None:
            self._data_rule = self.lab.reply_lines(rule, self, facts, enhanced=False)
        await super().smtp_DATA(arg)

    async def smtp_RSET(self, arg):
        if not await self._answered_first("RSET", arg):
            await super().smtp_RSET(arg)

    async def smtp_NOOP(self, arg):
        if not await self._answered_first("NOOP", arg):
            await super().smtp_NOOP(arg)

    async def smtp_VRFY(self, arg):
        if not await self._answered_first("VRFY", arg):
            await super().smtp_VRFY(arg)

    async def smtp_QUIT(self, arg):
        if not await self._answered_first("QUIT", arg):
            await super().smtp_QUIT(arg)

    async def smtp_EXPN(self, arg):
        if await self._answered_first("EXPN", arg):
            return
        facts = self.facts("EXPN", argument=arg or "")
        rule = self.lab.scenario.match("EXPN", facts)
        if rule is None:
            await super().smtp_EXPN(arg)
        else:
            await self.reply_with(rule, facts)

    async def smtp_HELP(self, arg):
        if await self._answered_first("HELP", arg):
            return
        facts = self.facts("HELP", argument=(arg or "").strip())
        rule = self.lab.scenario.match("HELP", facts)
        if rule is None:
            await super().smtp_HELP(arg)
        else:
            await self.reply_with(rule, facts)

    async def smtp_AUTH(self, arg):
        if await self._answered_first("AUTH", arg):
            return
        facts = self.facts("AUTH", argument=arg or "")
        rule = self.lab.scenario.match("AUTH", facts)
        if rule is not None:
            await self.reply_with(rule, facts)
        elif self.lab.auth_offered:
            await super().smtp_AUTH(arg)
        else:  # no rule and no AUTH offered: what aiosmtpd says to an unknown command
            await self.push('500 Error: command "AUTH" not recognized')


def _starts_with_enhanced(text: str) -> bool:
    head = text.split(" ", 1)[0]
    parts = head.split(".")
    return len(parts) == 3 and all(p.isdigit() for p in parts)


class _LabHandler:
    """aiosmtpd handler hooks: each asks the scenario for the reply to its command."""

    def __init__(self, lab):
        self.lab = lab

    def _answer(self, server, phase, facts, first_attempt=None):
        rule = self.lab.scenario.match(phase, facts, first_attempt)
        if rule is None:
            return None, MISSING
        server._close_after = server._close_after or rule.close
        lines = server._from_rule = self.lab.reply_lines(rule, server, facts)
        return rule, "\r\n".join(lines)

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        return (self._answer(server, "HELO", server.facts("HELO", argument=hostname)))[1]

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        facts = server.facts("EHLO", argument=hostname)
        rule = self.lab.scenario.match("EHLO", facts)
        if rule is None:
            return responses
        lines = self.lab.reply_lines(rule, server, facts, enhanced=False)
        server._close_after = server._close_after or rule.close
        if rule.code != 250:
            return lines
        # The rule's lines first, then the extensions aiosmtpd announces, ending with HELP.
        texts = [line[4:] for line in lines] + [line[4:] for line in responses[1:-1]]
        if self.lab.enhanced:
            texts.append("ENHANCEDSTATUSCODES")
        texts.append(responses[-1][4:])
        return [f"250-{text}" for text in texts[:-1]] + [f"250 {texts[-1]}"]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        facts = server.facts("MAIL", argument=address, sender=address)
        rule, reply = self._answer(server, "MAIL", facts)
        if rule is not None and rule.code // 100 == 2:
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
        return reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        facts = server.facts("RCPT", argument=address, sender=envelope.mail_from,
                             recipient=address)
        peer = session.peer[0] if session.peer else ""
        triplet = (peer, (envelope.mail_from or "").lower(), address.lower())
        rule, reply = self._answer(server, "RCPT", facts,
                                         lambda: self.lab.first_attempt(triplet))
        if rule is not None and rule.code // 100 == 2:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return reply

    async def handle_DATA(self, server, session, envelope):
        lab = self.lab
        full = len(lab.received_store) >= lab.max_messages
        facts = server.facts("END_OF_DATA", sender=envelope.mail_from,
                             recipients=tuple(envelope.rcpt_tos), storage_full=full)
        rule = lab.scenario.match("END_OF_DATA", facts)
        if rule is not None and rule.code // 100 == 2:
            if full:  # never accept what cannot be kept
                rule = lab.scenario.match("END_OF_DATA", dict(facts, storage_full=True))
                if rule is None or rule.code // 100 == 2:
                    return "452 4.3.1 Lab storage full"
            else:
                lab.received_store.append(LabMessage(
                    sender=envelope.mail_from, recipients=tuple(envelope.rcpt_tos),
                    content=bytes(envelope.original_content or b""),
                    mail_options=tuple(envelope.mail_options),
                    rcpt_options=tuple(envelope.rcpt_options), session=server.lab_session))
        if rule is None:
            return "250 OK"  # no rule at all: aiosmtpd's default, and nothing is kept
        server._close_after = server._close_after or rule.close
        lines = server._from_rule = lab.reply_lines(rule, server, facts)
        return "\r\n".join(lines)

    async def handle_RSET(self, server, session, envelope):
        return (self._answer(server, "RSET", server.facts("RSET")))[1]

    async def handle_NOOP(self, server, session, envelope, arg):
        return (self._answer(server, "NOOP", server.facts("NOOP", argument=arg or "")))[1]

    async def handle_VRFY(self, server, session, envelope, address):
        return (self._answer(server, "VRFY", server.facts("VRFY", argument=address)))[1]

    async def handle_QUIT(self, server, session, envelope):
        return (self._answer(server, "QUIT", server.facts("QUIT")))[1]


class _Values(dict):
    """Placeholder values for ``str.format_map``, computed on first use."""

    __slots__ = ("_lab", "_server", "_facts")

    def __init__(self, lab, server, facts):
        super().__init__()
        self._lab, self._server, self._facts = lab, server, facts

    def __missing__(self, key):
        lab, facts = self._lab, self._facts
        if key == "hostname":
            return lab.hostname
        if key == "scenario":
            return lab.scenario.name
        if key == "client":
            session = self._server.session
            return (session.host_name if session else None) or ""
        if key in ("argument", "sender", "recipient", "value"):
            return facts.get(key) or ""
        if key == "recipients":
            return ", ".join(facts.get("recipients") or ())
        if key == "size_limit":
            return lab.size_limit
        if key == "greylist_delay":
            return f"{lab.greylist_delay:g}"
        if key == "mechanisms":
            return " ".join(lab.mechanisms)
        if key == "commands":
            return lab.commands
        if key == "messages":
            return len(lab.received_store)
        if key == "local_domains":
            return ", ".join(lab.local_domains)
        raise KeyError(key)


class _LabState:
    """What every connection of one LabServer shares (touched only in the server's thread,
    except the bounded deques, which the caller's thread reads)."""

    def __init__(self, scenario, settings, hostname, on_exchange):
        self.scenario = scenario
        self.hostname = hostname
        self.size_limit = settings["size_limit"]
        self.max_messages = settings["max_messages"]
        self.greylist_delay = float(settings["greylist_delay"])
        self.mechanisms = [m for m in settings["auth_mechanisms"] if m in AUTH_MECHANISMS]
        self.credentials = {str(k): str(v) for k, v in settings["credentials"].items()}
        self.auth_offered = bool(self.mechanisms)
        self.local_domains = list(settings["local_domains"])
        self.enhanced = bool(settings["enhanced_status_codes"])
        self.enhanced_defaults = {str(k): str(v) for k, v in settings["enhanced_defaults"].items()}
        self.commands = " ".join(c for c in COMMANDS if c != "AUTH" or self.auth_offered)
        self.on_exchange = on_exchange
        self.answers_any = bool(scenario.rules_for("ANY"))  # rules tried before every command
        self.parameter_phases = {p for p in ("MAIL", "RCPT") if scenario.tests_parameters(p)}
        self.received_store: collections.deque = collections.deque()
        self.log_store: collections.deque = collections.deque(maxlen=LOG_LIMIT)
        self.connections: set = set()
        self.probe_ports: set = set()
        self.greylist: dict = {}
        self.closing = False
        self._sessions = 0

    def next_session(self) -> int:
        self._sessions += 1
        return self._sessions

    def record(self, exchange: LabExchange) -> None:
        self.log_store.append(exchange)
        if self.on_exchange is not None:
            try:
                self.on_exchange(exchange)
            except Exception:  # a broken callback must not break the server
                pass

    def first_attempt(self, triplet) -> bool:
        """Greylisting: True while this (client, sender, recipient) has not waited long enough."""
        now = time.monotonic()
        first_seen = self.greylist.get(triplet)
        if first_seen is None:
            if len(self.greylist) >= GREYLIST_LIMIT:
                self.greylist.pop(next(iter(self.greylist)))
            self.greylist[triplet] = now
            return True
        return now - first_seen < self.greylist_delay

    def values(self, server, facts=None) -> _Values:
        """The placeholders of reply texts, each worked out only if a text uses it."""
        return _Values(self, server, facts or {})

    def reply_lines(self, rule, server, facts=None, enhanced=None) -> list[str]:
        """A rule's reply lines; placeholder values are looked up only if its text has any."""
        values = self.values(server, facts) if rule.needs_values else None
        return rule.lines(values, self.enhanced if enhanced is None else enhanced)

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = auth_data.login.decode("utf-8", errors="replace")
        password = auth_data.password.decode("utf-8", errors="replace")
        ok = login in self.credentials and self.credentials[login] == password
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


class _LabController(Controller):
    """aiosmtpd's threaded Controller, serving a socket LabServer bound itself.

    Controller binds host:port on its own and then connects to that same port to check the
    server answers, so with port 0 it would probe a port nobody listens on.  Here the socket
    is bound first (port 0 picks a free port), handed to asyncio, and the probe goes to the
    port actually bound.  The probe connection is left out of the lab's log.
    """

    def __init__(self, lab: _LabState, sock: socket.socket, **smtp_kwargs):
        self._lab = lab
        self._sock = sock
        host, port = sock.getsockname()[:2]
        super().__init__(_LabHandler(lab), hostname=host, port=port,
                         ready_timeout=START_TIMEOUT, **smtp_kwargs)

    def factory(self):
        return LabSMTP(self.handler, lab=self._lab, **self.SMTP_kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock)

    def _trigger_server(self):
        family = self._sock.family
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(1.0)
            probe.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0)
                       if _is_loopback(self.hostname) else ("", 0))
            self._lab.probe_ports.add(probe.getsockname()[1])
            target = self.hostname if _is_loopback(self.hostname) else (
                "::1" if family == socket.AF_INET6 else "127.0.0.1")
            probe.connect((target, self.port))
            probe.recv(1024)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _resolve(host: str, allow_remote: bool) -> tuple[int, str]:
    """(family, numeric address) to bind; refuses a non-loopback address unless allowed."""
    if not isinstance(host, str):
        raise LabError(f"host must be a string such as '127.0.0.1', not {host!r}")
    try:
        infos = socket.getaddrinfo(host or None, 0, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise LabError(f"cannot resolve host {host!r} ({error}); use 127.0.0.1") from None
    addresses = [info[4][0] for info in infos]
    if not allow_remote and not all(_is_loopback(a) for a in addresses):
        raise LabError(
            f"refusing to listen on {host!r} ({', '.join(dict.fromkeys(addresses))}): it is not "
            f"a loopback address, so other machines could reach the lab server. Use "
            f"host='127.0.0.1', or pass allow_remote=True (--allow-remote on the command "
            f"line) if you really want that.")
    family, *_, sockaddr = infos[0]
    return family, sockaddr[0]


class LabServer:
    """A real SMTP server on 127.0.0.1 that answers as a scenario says, for learning.

    ``LabServer("greylist")`` picks a free port; ``with LabServer() as server:`` starts and
    stops it.  Accepted mail is kept in ``.received`` (never delivered); every exchange is in
    ``.log``.  Settings of the scenario's [server] table can be overridden by keyword
    (``size_limit``, ``idle_timeout``, ``max_messages``, ``greylist_delay``, ``credentials``,
    ...).  A host that is not loopback is refused unless ``allow_remote=True``.
    """

    def __init__(self, scenario="classic", host: str = "127.0.0.1", port: int = 0, *,
                 hostname: str = DEFAULT_HOSTNAME, allow_remote: bool = False,
                 on_exchange=None, **settings):
        self.scenario = load_scenario(scenario)
        merged = dict(self.scenario.settings)
        for key, value in settings.items():
            merged[key] = check_setting(self.scenario.name, key, value)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise LabError(f"port must be a whole number from 0 to 65535 (0: any free port), "
                           f"not {port!r}")
        if not isinstance(hostname, str) or not hostname or any(c.isspace() for c in hostname):
            raise LabError(f"hostname (the greeting domain) must be a name without spaces, "
                           f"not {hostname!r}")
        self._family, self._address = _resolve(host, allow_remote)
        self._requested_port = port
        self.hostname = hostname
        self.settings = merged
        self._state = _LabState(self.scenario, merged, hostname, on_exchange)
        self._controller = None
        self._port = None
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> LabServer:
        """Bind and start serving (a no-op if already running); returns the server."""
        with self._lock:
            if self._controller is not None:
                return self
            sock = self._bind()
            state = self._state
            state.closing = False  # a stopped server can be started again
            kwargs = dict(
                server_hostname=self.hostname, ident="ESMTP smtplearn lab",
                data_size_limit=state.size_limit, enable_SMTPUTF8=True,
                timeout=float(self.settings["idle_timeout"]),
                auth_require_tls=not state.auth_offered,
                auth_exclude_mechanism=[m for m in AUTH_MECHANISMS if m not in state.mechanisms],
                authenticator=state.authenticate)
            controller = _LabController(state, sock, **kwargs)
            try:
                controller.start()
            except Exception as error:
                controller.stop(no_assert=True)
                sock.close()
                raise LabError(f"the lab server could not start: {error}") from error
            self._controller = controller
            self._port = sock.getsockname()[1]
            _RUNNING.add(self)
        return self

    def _bind(self) -> socket.socket:
        # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off (TCP_NODELAY)
        # only on accepted sockets whose proto says TCP, and accepted sockets inherit it from
        # this one.  With proto 0 small replies could wait for the client's ACK.
        sock = socket.socket(self._family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._address, self._requested_port))
            sock.listen(128)
        except OSError as error:
            sock.close()
            raise LabError(f"cannot listen on {self._address} port {self._requested_port}: "
                           f"{error.strerror or error}; port=0 picks a free port") from None
        sock.setblocking(False)
        return sock

    def stop(self) -> None:
        """Stop serving and close every open session; safe to call twice, bounded in time."""
        with self._lock:
            controller, self._controller = self._controller, None
            _RUNNING.discard(self)
        if controller is None:
            return
        loop = controller.loop
        try:
            future = asyncio.run_coroutine_threadsafe(self._shutdown(controller), loop)
            future.result(STOP_TIMEOUT)
        except Exception:  # the loop is wedged: cancel what it runs
            try:
                loop.call_soon_threadsafe(controller.cancel_tasks)
            except RuntimeError:
                pass  # the loop is closed already
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:
            pass
        thread = controller._thread
        if thread is not None:
            thread.join(STOP_TIMEOUT)
        controller._thread = None
        controller._cleanup()
        controller._sock.close()

    async def _shutdown(self, controller) -> None:
        """Stop accepting, tell open sessions (421, RFC 5321 sec 3.8), close them, cancel."""
        state = self._state
        state.closing = True
        # Stop accepting first, and let connections accepted a moment ago reach
        # connection_made (which closes them now): asyncio drops, without closing, a connection
        # whose setup finishes after Server.close().
        try:
            asyncio.get_running_loop().remove_reader(controller._sock.fileno())
        except (ValueError, OSError):
            pass
        for _ in range(20):
            await asyncio.sleep(0)
        if controller.server is not None:
            controller.server.close()
        farewells = [asyncio.ensure_future(connection.say_goodbye())
                     for connection in list(state.connections)]
        if farewells:
            await asyncio.wait(farewells, timeout=0.5)
        for _ in range(3):
            await asyncio.sleep(0)
        for connection in list(state.connections):
            if connection.transport is not None:
                connection.transport.abort()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what a notebook reads -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def host(self) -> str:
        return self._address

    @property
    def port(self) -> int:
        """The port listened on (chosen at start() when 0 was asked)."""
        if self._port is None:
            if self._requested_port:
                return self._requested_port
            raise LabError("the server has not started yet, so it has no port; call start()")
        return self._port

    @property
    def received(self) -> list[LabMessage]:
        """Messages accepted so far, oldest first (at most max_messages)."""
        return list(self._state.received_store)

    @property
    def log(self) -> list[LabExchange]:
        """Every exchange so far, oldest first (the last LOG_LIMIT)."""
        return list(self._state.log_store)

    def clear(self) -> None:
        """Forget the received messages, the log and the greylist."""
        self._state.received_store.clear()
        self._state.log_store.clear()
        self._state.greylist.clear()

    def log_text(self) -> str:
        return "\n".join(str(exchange) for exchange in self.log)

    def __repr__(self) -> str:
        where = f"{self.host}:{self._port}" if self.running else "stopped"
        return (f"<LabServer {self.scenario.name!r} on {where}, "
                f"{len(self._state.received_store)} messages received>")


def _stop_all() -> None:
    for server in list(_RUNNING):
        try:
            server.stop()
        except Exception:
            pass


atexit.register(_stop_all)
