"""LabServer over real sockets on 127.0.0.1, driven by the standard library's smtplib."""

import smtplib
import socket
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtplearn.errors import LabError, ScenarioError
from smtplearn.lab import LabServer, load_scenario

pytestmark = [pytest.mark.live, pytest.mark.timeout(60)]

MESSAGE = "Subject: lab test\r\nMessage-ID: <1@client.example>\r\n\r\nHello lab.\r\n"


@pytest.fixture
def serve():
    started = []

    def start(scenario="classic", **settings):
        server = LabServer(scenario, **settings).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def client(server) -> smtplib.SMTP:
    return smtplib.SMTP(server.host, server.port, local_hostname="client.example", timeout=10)


def test_port_zero_gives_a_real_port_and_start_stop_are_idempotent():
    server = LabServer()
    with pytest.raises(LabError, match="not started"):
        server.port
    server.start()
    server.start()
    assert server.host == "127.0.0.1" and server.port > 0 and server.running
    with client(server) as smtp:
        assert smtp.noop()[0] == 250
    server.stop()
    server.stop()
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=5)


def test_a_stopped_server_starts_again_and_keeps_its_messages():
    server = LabServer().start()
    with client(server) as smtp:
        smtp.sendmail("a@client.example", ["b@lab.example"], MESSAGE)
    server.stop()
    server.start()
    try:
        with client(server) as smtp:
            smtp.sendmail("a@client.example", ["b@lab.example"], MESSAGE)
    finally:
        server.stop()
    assert len(server.received) == 2


def test_context_manager_and_repr_has_no_time():
    with LabServer("greylist") as server:
        text = repr(server)
        assert "greylist" in text and str(server.port) in text and "0 messages" in text
    assert "stopped" in repr(server)


def test_the_readiness_probe_is_not_in_the_log(serve):
    server = serve()
    assert server.log == []


def test_classic_accepts_and_keeps_the_envelope(serve):
    server = serve()
    with client(server) as smtp:
        code, text = smtp.ehlo()
        assert code == 250 and b"ENHANCEDSTATUSCODES" in text and b"SIZE 1048576" in text
        assert smtp.sendmail("alice@client.example", ["student@lab.example", "t@lab.example"],
                             MESSAGE) == {}
        assert smtp.docmd("HELP")[0] == 214
        code, text = smtp.docmd("HELP", "STATUS")
        assert code == 211 and b"messages kept: 1" in text
        assert smtp.verify("student@lab.example")[0] == 252
        assert smtp.expn("list")[0] == 502
        assert smtp.rset()[0] == 250
    [message] = server.received
    assert message.sender == "alice@client.example"
    assert message.recipients == ("student@lab.example", "t@lab.example")
    assert message.message["Subject"] == "lab test"
    assert message.content.endswith(b"Hello lab.\r\n")
    assert "SIZE=" in " ".join(message.mail_options).upper()


def test_every_reply_but_greeting_and_ehlo_has_an_enhanced_code(serve):
    server = serve()
    with client(server) as smtp:
        smtp.ehlo()
        smtp.sendmail("a@client.example", ["b@lab.example"], MESSAGE)
        for command in ("NOOP", "RSET", "HELP", "BOGUS", "RCPT TO:<x@lab.example>",
                        "MAIL FROM:<a@b> FOO=1", "MAIL FROM:"):
            smtp.docmd(command)
    for exchange in server.log:
        if exchange.command is None or exchange.command.upper().startswith("EHLO"):
            continue
        if exchange.code // 100 == 3:
            continue
        for line in exchange.reply.split("\n"):
            token = line[4:].split(" ")[0]
            assert token[:1] == line[:1] and token.count(".") == 2, exchange


def test_unknown_user(serve):
    server = serve("unknown-user")
    with client(server) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("a@client.example", ["nobody@lab.example"], MESSAGE)
        code, text = refused.value.recipients["nobody@lab.example"]
        assert code == 550 and text.startswith(b"5.1.1")
        assert smtp.sendmail("a@client.example", ["nobody@lab.example", "student@lab.example"],
                             MESSAGE) == {"nobody@lab.example": (550, refused.value.recipients[
                                 "nobody@lab.example"][1])}
    assert [m.recipients for m in server.received] == [("student@lab.example",)]


def test_mailbox_full(serve):
    server = serve("mailbox-full")
    with client(server) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("a@client.example", ["full@lab.example"], MESSAGE)
        code, text = refused.value.recipients["full@lab.example"]
        assert (code, text[:5]) == (452, b"4.2.2")
        with pytest.raises(smtplib.SMTPDataError) as data_error:
            smtp.sendmail("a@client.example", ["archive@lab.example"], MESSAGE)
        assert (data_error.value.smtp_code, data_error.value.smtp_error[:5]) == (552, b"5.2.2")
    assert server.received == []


def test_greylist_defers_then_accepts_the_retry(serve):
    server = serve("greylist", greylist_delay=0.2)
    with client(server) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("a@client.example", ["student@lab.example"], MESSAGE)
        code, text = refused.value.recipients["student@lab.example"]
        assert (code, text[:5]) == (451, b"4.7.1")
        with pytest.raises(smtplib.SMTPRecipientsRefused):  # too early: still deferred
            smtp.sendmail("a@client.example", ["student@lab.example"], MESSAGE)
        time.sleep(0.3)
        assert smtp.sendmail("a@client.example", ["student@lab.example"], MESSAGE) == {}
    assert len(server.received) == 1


def test_size_limit(serve):
    server = serve("size-limit")
    big = MESSAGE + ("x" * 70 + "\r\n") * 300
    with client(server) as smtp:
        smtp.ehlo()
        assert smtp.esmtp_features["size"] == "10240"
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("a@client.example", ["student@lab.example"], big)
        assert (refused.value.smtp_code, refused.value.smtp_error[:5]) == (552, b"5.3.4")
        # A client that does not announce SIZE is stopped after the data instead.
        smtp.docmd("MAIL FROM:<a@client.example>")
        smtp.docmd("RCPT TO:<student@lab.example>")
        code, _ = smtp.data(big)
    assert code == 552
    assert server.log[-2].reply.startswith("552 5.3.4")  # the last is the reply to QUIT
    assert server.received == []


def test_auth(serve):
    server = serve("auth")
    with client(server) as smtp:
        smtp.ehlo()
        assert set(smtp.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("a@client.example", ["student@lab.example"], MESSAGE)
        assert (refused.value.smtp_code, refused.value.smtp_error[:5]) == (530, b"5.7.0")
        with pytest.raises(smtplib.SMTPAuthenticationError) as bad:
            smtp.login("student", "wrong")
        assert (bad.value.smtp_code, bad.value.smtp_error[:5]) == (535, b"5.7.8")
        code, text = smtp.docmd("AUTH", "CRAM-MD5")
        assert (code, text[:5]) == (504, b"5.5.4")
        assert smtp.login("student", "lab-password")[0] == 235
        assert smtp.sendmail("a@client.example", ["student@lab.example"], MESSAGE) == {}
    for mechanism in ("LOGIN", "PLAIN"):
        with client(server) as smtp:
            smtp.ehlo()
            smtp.user, smtp.password = "teacher", "lab-teacher"
            assert smtp.auth(mechanism, getattr(smtp, "auth_" + mechanism.lower()))[0] == 235
    logged = server.log_text()
    assert "lab-password" not in logged and "lab-teacher" not in logged
    assert "dGVhY2hlcg" not in logged  # base64 of the user name, sent by AUTH LOGIN


def test_parameters(serve):
    server = serve("parameters")
    with client(server) as smtp:
        smtp.ehlo()
        replies = {command: smtp.docmd(command) for command in (
            "MAIL FROM:<a@client.example> FOO=BAR", "MAIL FROM:<a@client.example> BODY=BINARYMIME",
            "MAIL FROM:<a@client.example> SIZE=big", "MAIL FROM:<a@client.example> SIZE=")}
        assert smtp.docmd("MAIL FROM:<a@client.example> BODY=8BITMIME")[0] == 250
        assert smtp.docmd("RCPT TO:<student@lab.example> NOTIFY=NEVER")[0] == 555
    assert [(code, text[:5]) for code, text in replies.values()] == [
        (555, b"5.5.4"), (504, b"5.5.4"), (501, b"5.5.2"), (501, b"5.5.2")]


def test_shutdown_says_421_and_closes(serve):
    server = serve("shutdown")
    smtp = client(server)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        smtp.sendmail("a@client.example", ["student@lab.example"], MESSAGE)
    assert (refused.value.smtp_code, refused.value.smtp_error[:5]) == (421, b"4.3.2")
    raw = socket.create_connection((server.host, server.port), timeout=10)
    raw.sendall(b"EHLO x\r\nMAIL FROM:<a@b>\r\n")
    data = b""
    while True:  # the server must close after its 421: recv returns b"" (or times out: fail)
        chunk = raw.recv(4096)
        if not chunk:
            break
        data += chunk
    raw.close()
    assert data.split(b"\r\n")[-2].startswith(b"421 4.3.2")


def test_relay_denied(serve):
    server = serve("relay-denied")
    with client(server) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as outside:
            smtp.sendmail("a@client.example", ["x@elsewhere.example"], MESSAGE)
        with pytest.raises(smtplib.SMTPRecipientsRefused) as local:
            smtp.sendmail("me@lab.example", ["x@elsewhere.example"], MESSAGE)
        assert smtp.sendmail("a@client.example", ["student@lab.example"], MESSAGE) == {}
    assert outside.value.recipients["x@elsewhere.example"][0] == 554
    assert local.value.recipients["x@elsewhere.example"][0] == 550
    assert outside.value.recipients["x@elsewhere.example"][1][:5] == b"5.7.1"


def test_no_service(serve):
    server = serve("no-service")
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        client(server)
    assert refused.value.smtp_code == 554
    raw = socket.create_connection((server.host, server.port), timeout=10)
    assert raw.recv(1024).startswith(b"554 lab.example")
    raw.sendall(b"EHLO x\r\n")
    assert raw.recv(1024).startswith(b"503 5.5.1")
    raw.sendall(b"QUIT\r\n")
    assert raw.recv(1024).startswith(b"221")
    raw.close()


def test_storage_is_bounded_and_nothing_is_dropped_silently(serve):
    server = serve(max_messages=2)
    with client(server) as smtp:
        for _ in range(2):
            smtp.sendmail("a@client.example", ["b@lab.example"], MESSAGE)
        with pytest.raises(smtplib.SMTPDataError) as full:
            smtp.sendmail("a@client.example", ["b@lab.example"], MESSAGE)
    assert (full.value.smtp_code, full.value.smtp_error[:5]) == (452, b"4.3.1")
    assert len(server.received) == 2
    server.clear()
    assert server.received == [] and server.log == []


def test_idle_sessions_are_closed(serve):
    server = serve(idle_timeout=0.3)
    raw = socket.create_connection((server.host, server.port), timeout=10)
    assert raw.recv(1024).startswith(b"220")
    assert raw.recv(1024) == b""  # the server hung up (a hang would hit the 10 s timeout)
    raw.close()


def test_stop_is_bounded_with_sessions_open(serve):
    server = serve()
    sessions = [client(server) for _ in range(5)]
    raw = socket.create_connection((server.host, server.port), timeout=10)
    raw.sendall(b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@lab.example>\r\nDATA\r\nhalf a mess")
    time.sleep(0.2)  # let the server read the partial message
    server.stop()  # pytest-timeout fails the test if this hangs
    assert not server.running
    raw.settimeout(10)
    while raw.recv(4096):  # closed, not left hanging (a hang would time out)
        pass
    raw.close()
    for smtp in sessions:  # each was told 421 and then disconnected
        assert smtp.getreply()[0] == 421
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtp.noop()
    stopping = [e for e in server.log if e.command == "(the lab server is stopping)"]
    assert len(stopping) == 5 and all(e.reply.startswith("421 4.3.2") for e in stopping)


def test_stop_closes_a_connection_accepted_at_that_moment():
    for _ in range(5):
        server = LabServer().start()
        raw = socket.create_connection((server.host, server.port), timeout=10)
        server.stop()
        try:
            while raw.recv(4096):
                pass
        except ConnectionResetError:
            pass
        raw.close()


def test_a_taken_port_is_a_clear_error(serve):
    server = serve()
    with pytest.raises(LabError, match="port 0 picks a free port|port=0 picks a free port"):
        LabServer(port=server.port).start()


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::"])
def test_non_loopback_bind_is_refused_without_opt_in(host):
    with pytest.raises(LabError, match="allow_remote=True"):
        LabServer(host=host)


def test_ipv6_loopback_works_where_available():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with LabServer(host="::1") as server:
        assert server.host == "::1"
        with smtplib.SMTP("::1", server.port, timeout=10) as smtp:
            assert smtp.noop()[0] == 250
        assert server.log[0].command is None  # the readiness probe stayed out of the log


def test_auth_scenario_lists_auth_in_help(serve):
    with client(serve("auth")) as smtp:
        assert b"AUTH" in smtp.docmd("HELP")[1]
    with client(serve()) as smtp:
        assert b"AUTH" not in smtp.docmd("HELP")[1]


def test_loopback_names_are_accepted():
    with LabServer(host="localhost") as server:
        assert server.host in ("127.0.0.1", "::1")


def test_bad_arguments_are_named():
    with pytest.raises(LabError, match="port"):
        LabServer(port=70000)
    with pytest.raises(LabError, match="hostname"):
        LabServer(hostname="two words")
    with pytest.raises(ScenarioError, match="size_limit"):
        LabServer(size_limit="big")
    with pytest.raises(ScenarioError, match="no scenario named"):
        LabServer("gray-list")


def test_teacher_dict_scenario_runs(serve):
    scenario = {"name": "quiet", "extends": "classic",
                "rule": [{"when": "NOOP", "code": 250, "enhanced": "2.0.0",
                          "text": "{client} is quiet", "source": "RFC 5321 sec 4.1.1.9"}]}
    server = serve(scenario, hostname="school.example")
    with client(server) as smtp:
        assert smtp.ehlo()[1].startswith(b"school.example greets client.example")
        assert smtp.noop() == (250, b"2.0.0 client.example is quiet")


def test_on_exchange_sees_every_exchange(serve):
    seen = []
    server = serve(on_exchange=seen.append)
    with client(server) as smtp:
        smtp.noop()
    assert [e.code for e in seen] == [220, 250, 221]
    assert seen == server.log


def test_atexit_stops_running_servers():
    code = ("import socket\n"
            "from smtplearn.lab import LabServer\n"
            "s = LabServer().start()\n"
            "c = socket.create_connection((s.host, s.port))\n"
            "print(s.port, flush=True)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    port = int(result.stdout)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_importing_the_lab_does_not_import_aiosmtpd_or_pandas():
    code = ("import sys, smtplearn, smtplearn.lab\n"
            "smtplearn.lab.load_scenario('greylist')\n"
            "print(sorted(m for m in ('aiosmtpd', 'pandas') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=30)
    assert result.stdout.strip() == "[]", result.stderr


def test_scenario_object_is_accepted():
    scenario = load_scenario("auth")
    with LabServer(scenario) as server:
        assert server.scenario is scenario


def test_accepted_connections_have_nagle_off(serve):
    """asyncio sets TCP_NODELAY only when the listening socket says IPPROTO_TCP. Without it,
    small replies can wait for the client's ACK: the lab server once sat idle about 10% of
    the time under load because of that."""
    server = serve()
    with client(server) as smtp:
        assert smtp.noop()[0] == 250
        (connection,) = list(server._state.connections)
        sock = connection.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


# LabSMTP._getaddr replaces aiosmtpd's for speed; it must give the same answer for every input.
_ADDRESS_PIECES = st.sampled_from(
    ["<", ">", "@", ".", '"', "\\", "(", ")", " ", "\t", ",", ":", ";", "[", "]", "a", "Z",
     "0", "-", "+", "_", "=", "é", "SIZE=1000", "BODY=8BITMIME", "user", "lab.example",
     "x" * 70])


def _arguments():
    local = st.text(st.sampled_from('abc.+-_"\\ é()'), max_size=12) | st.just("x" * 65)
    domain = st.text(st.sampled_from("abc.-[]0 "), max_size=12)
    tail = st.lists(_ADDRESS_PIECES, max_size=4).map("".join)
    lead = st.sampled_from(["", " ", "\t "])
    structured = st.builds(
        lambda w, l, d, t, angle: w + (f"<{l}@{d}>{t}" if angle else f"{l}@{d}{t}"),
        lead, local, domain, tail, st.booleans())
    return structured | st.lists(_ADDRESS_PIECES, max_size=10).map("".join)


def _outcome(parse, arg):
    try:
        return parse(arg)
    except Exception as error:  # both must fail the same way, if at all
        return type(error)


@pytest.fixture(scope="module")
def address_parsers():
    import asyncio

    from aiosmtpd.smtp import SMTP

    from smtplearn.lab.server import LabSMTP

    loop = asyncio.new_event_loop()
    theirs, ours = SMTP(object(), loop=loop), LabSMTP(object(), lab=None, loop=loop)
    yield theirs, ours
    loop.close()


@pytest.mark.parametrize("limit", [0, 64])
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(arg=_arguments())
def test_lab_address_parsing_equals_aiosmtpds(address_parsers, limit, arg):
    theirs, ours = address_parsers
    theirs.local_part_limit = ours.local_part_limit = limit
    assert _outcome(ours._getaddr, arg) == _outcome(theirs._getaddr, arg)


@pytest.mark.parametrize("arg, expected", [
    ("<user@lab.example> SIZE=10", ("user@lab.example", "SIZE=10")),
    ('<"odd user"@lab.example>', ('"odd user"@lab.example', "")),
    ("user@lab.example", ("user@lab.example", "")),
    ("", ("", "")),
    ("<@>", (None, None)),
    ("<a b@lab.example>", ('"a b"@lab.example', "")),
    ("<" + "x" * 65 + "@lab.example>", ("x" * 65 + "@lab.example", "")),
])
def test_lab_address_parsing_examples(address_parsers, arg, expected):
    theirs, ours = address_parsers
    theirs.local_part_limit = ours.local_part_limit = 0
    assert ours._getaddr(arg) == theirs._getaddr(arg) == expected
