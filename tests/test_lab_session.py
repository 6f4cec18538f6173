"""Session: one command at a time, every reply parsed and annotated, errors recorded."""

import contextlib
import socket
import threading
import time

import pytest

from smtplearn import parse_reply
from smtplearn.codes import ReplyClass
from smtplearn.errors import LabError
from smtplearn.lab import DEFAULT_HOSTNAME, LabServer, Session
from smtplearn.lab.session import TRANSCRIPT_COLUMNS
from smtplearn.render import CLASS_COLOURS

pytestmark = [pytest.mark.live, pytest.mark.timeout(60)]

BODY = "Subject: lab\n\nfirst line\n.a line starting with a dot\n"


@pytest.fixture
def lab():
    servers = {}

    def get(scenario="classic", **settings):
        server = LabServer(scenario, **settings).start()
        servers[id(server)] = server
        return server

    yield get
    for server in servers.values():
        server.stop()


def codes(session):
    return [(r.code, r.enhanced) for r in session.replies]


def test_the_notebook_walk_through(lab):
    server = lab()
    session = Session(server)
    assert session.replies[0].code == 220
    ehlo = session.send("EHLO client.example")
    assert ehlo.code == 250 and ehlo.is_multiline and "ENHANCEDSTATUSCODES" in ehlo.lines
    help_reply = session.send("HELP")
    assert help_reply.code == 214 and help_reply.is_multiline and help_reply.enhanced == "2.0.0"
    status = session.send("HELP STATUS")
    assert status.code == 211
    delivery = session.mail("alice@client.example", "student@lab.example", BODY)
    assert delivery.ok and delivery.accepted == ("student@lab.example",)
    assert [r.code for r in delivery.replies] == [250, 250, 354, 250]
    assert session.quit().code == 221
    assert not session.connected
    frame = session.transcript
    assert tuple(frame.columns) == TRANSCRIPT_COLUMNS
    assert list(frame["code"]) == [220, 250, 214, 211, 250, 250, 354, 250, 221]
    assert frame["sent"][0] == "(connect)" and frame["sent"][1] == "EHLO client.example"
    assert frame["class"][6] == str(ReplyClass.POSITIVE_INTERMEDIATE)
    assert frame["action"][6] == ReplyClass.POSITIVE_INTERMEDIATE.action.label
    assert frame["enhanced"][4] == "2.1.0"
    [message] = server.received
    assert b"\r\n.a line starting with a dot\r\n" in message.content  # dot-stuffing undone


def test_mail_sends_ehlo_when_needed_and_stops_like_a_client(lab):
    server = lab("unknown-user")
    session = Session(server)
    delivery = session.mail("a@client.example", ["nobody@lab.example"], BODY)
    assert not delivery.ok and delivery.accepted == ()
    assert delivery.refused["nobody@lab.example"].enhanced == "5.1.1"
    assert [s.sent.split(" ")[0] for s in session.steps] == [
        "(connect)", "EHLO", "MAIL", "RCPT", "RSET"]
    delivery = session.mail("a@client.example", ["nobody@lab.example", "student@lab.example"],
                            BODY)
    assert delivery.ok and list(delivery.refused) == ["nobody@lab.example"]
    assert "1 refused" in repr(delivery)
    assert server.received[0].recipients == ("student@lab.example",)


def test_greylist_and_unknown_user_side_by_side(lab):
    greylist, unknown = lab("greylist", greylist_delay=0), lab("unknown-user")
    first, second = Session(greylist), Session(unknown)
    a = first.mail("a@client.example", "nobody@lab.example", BODY)
    b = second.mail("a@client.example", "nobody@lab.example", BODY)
    assert (a.final.code, a.final.enhanced) == (451, "4.7.1")
    assert (b.final.code, b.final.enhanced) == (550, "5.1.1")
    assert a.final.code // 100 == 4 and b.final.code // 100 == 5
    assert first.transcript["action"].iloc[3] == ReplyClass(4).action.label
    assert second.transcript["action"].iloc[3] == ReplyClass(5).action.label
    assert first.mail("a@client.example", "nobody@lab.example", BODY).ok  # the retry


def test_parameters_504_555_501(lab):
    session = Session(lab("parameters"))
    session.send("EHLO client.example")
    replies = [session.send(f"MAIL FROM:<a@client.example> {p}")
               for p in ("BODY=BINARYMIME", "COLOUR=BLUE", "SIZE=big")]
    assert [(r.code, r.enhanced) for r in replies] == [
        (504, "5.5.4"), (555, "5.5.4"), (501, "5.5.2")]


@pytest.mark.parametrize("scenario, commands, expected", [
    ("classic", ["EHLO c", "VRFY student", "EXPN staff", "NOOP", "RSET", "HELP MAIL",
                 "HELP COFFEE", "AUTH PLAIN", "RCPT TO:<x@lab.example>", "DATA", "FROB"],
     [(250, None), (252, "2.0.0"), (502, "5.5.1"), (250, "2.0.0"), (250, "2.0.0"),
      (214, "2.0.0"), (504, "5.5.4"), (502, "5.5.1"), (503, "5.5.1"), (503, "5.5.1"),
      (500, "5.5.2")]),
    ("mailbox-full", ["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<full@lab.example>"],
     [(250, None), (250, "2.1.0"), (452, "4.2.2")]),
    ("size-limit", ["EHLO c", "MAIL FROM:<a@b> SIZE=999999", "MAIL FROM:<a@b> SIZE=100"],
     [(250, None), (552, "5.3.4"), (250, "2.1.0")]),
    ("auth", ["EHLO c", "MAIL FROM:<a@b>", "AUTH CRAM-MD5",
              "AUTH PLAIN AHN0dWRlbnQAd3Jvbmc=", "AUTH PLAIN AHN0dWRlbnQAbGFiLXBhc3N3b3Jk",
              "AUTH PLAIN AHN0dWRlbnQAbGFiLXBhc3N3b3Jk", "MAIL FROM:<a@b>"],
     [(250, None), (530, "5.7.0"), (504, "5.5.4"), (535, "5.7.8"), (235, "2.7.0"),
      (503, "5.5.1"), (250, "2.1.0")]),
    ("relay-denied", ["EHLO c", "MAIL FROM:<a@b.example>", "RCPT TO:<x@far.example>",
                      "RCPT TO:<student@lab.example>"],
     [(250, None), (250, "2.1.0"), (554, "5.7.1"), (250, "2.1.5")]),
    ("no-service", ["EHLO c", "HELP", "QUIT"], [(503, "5.5.1"), (503, "5.5.1"), (221, "2.0.0")]),
])
def test_scenario_replies_through_session(lab, scenario, commands, expected):
    session = Session(lab(scenario))
    assert [(r.code, r.enhanced) for r in map(session.send, commands)] == expected


def test_no_service_greeting_and_shutdown_close(lab):
    session = Session(lab("no-service"))
    assert session.replies[0].code == 554
    session = Session(lab("shutdown"))
    session.send("EHLO c")
    reply = session.send("MAIL FROM:<a@b>")
    assert (reply.code, reply.enhanced) == (421, "4.3.2")
    assert not session.connected  # 421 means the server closes: the session knows it
    with pytest.raises(LabError, match="not connected"):
        session.send("NOOP")
    assert session.steps[-1].reply is None and session.transcript["class"].iloc[-1] == "error"


def test_auth_login_challenges_go_one_send_at_a_time(lab):
    session = Session(lab("auth"))
    session.send("EHLO c")
    assert session.send("AUTH LOGIN").code == 334
    assert session.send("c3R1ZGVudA==").code == 334
    assert session.send("bGFiLXBhc3N3b3Jk").code == 235


def test_html_transcript_shows_class_in_text_and_colour_and_no_port(lab):
    server = lab("greylist")
    session = Session(server)
    session.mail("a@client.example", "student@lab.example", BODY)
    page = session._repr_html_()
    assert str(ReplyClass(4)) in page and CLASS_COLOURS["transient"] in page
    assert str(ReplyClass(2)) in page and CLASS_COLOURS["success"] in page
    assert "451 4.7.1 &lt;student@lab.example&gt;" in page
    assert str(server.port) not in page and str(server.port) not in repr(session)
    assert DEFAULT_HOSTNAME in page
    text = session.transcript_text()
    assert "C: RCPT TO:<student@lab.example>" in text and "S: 451 4.7.1" in text


def test_bad_input_is_refused_before_sending(lab):
    session = Session(lab())
    with pytest.raises(LabError, match="line breaks"):
        session.send("NOOP\r\nQUIT")
    with pytest.raises(LabError, match="string"):
        session.send(42)
    with pytest.raises(LabError, match="after DATA"):
        session.data("x")
    session.send("EHLO c")
    session.send("MAIL FROM:<a@b>")
    session.send("RCPT TO:<c@lab.example>")
    assert session.send("DATA").code == 354
    with pytest.raises(LabError, match="call data"):
        session.send("NOOP")
    assert session.data(BODY).code == 250
    with pytest.raises(LabError, match="recipient"):
        session.mail("a@b", [], BODY)
    with pytest.raises(LabError, match="body"):
        session.mail("a@b", "c@lab.example", 3.5)
    assert len(session.steps) == 6  # nothing sent for the refused calls but the last MAIL/RCPT
    with pytest.raises(LabError):
        Session(None)
    with pytest.raises(LabError, match="port"):
        Session("127.0.0.1", 0)


def test_nothing_listening_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LabError, match="nothing is listening"):
        Session("127.0.0.1", port, timeout=2)


@contextlib.contextmanager
def misbehaving_server(behave):
    """A raw TCP server on 127.0.0.1 that treats its one client with ``behave(conn)``."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    done = threading.Event()

    def run():
        try:
            conn, _ = listener.accept()
            with conn:
                behave(conn)
                done.wait(10)
        except OSError:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        listener.close()
        thread.join(10)


@pytest.mark.parametrize("behave, words", [
    (lambda conn: conn.close(), "closed the connection"),
    (lambda conn: None, "no complete reply within"),
    (lambda conn: conn.sendall(b"\x00\xff\xfe garbage\r\n"), "not an SMTP reply"),
    (lambda conn: conn.sendall(b"hello there\r\n"), "not an SMTP reply"),
    (lambda conn: conn.sendall(b"x" * 100_000), "not an SMTP reply"),
    (lambda conn: conn.sendall(b"220-first line\r\n"), "no complete reply|closed"),
])
def test_a_misbehaving_server_gives_a_recorded_error_not_a_hang(behave, words):
    with misbehaving_server(behave) as port:
        with pytest.raises(LabError, match=words):
            Session("127.0.0.1", port, timeout=1)


@pytest.mark.timeout(15)
def test_a_trickling_server_is_cut_off_after_the_timeout_in_all():
    def trickle(conn):
        for _ in range(300):  # a byte every 0.1 s for 30 s: each recv succeeds, no reply ends
            try:
                conn.sendall(b"2")
            except OSError:
                return
            time.sleep(0.1)

    # A per-recv timeout alone would wait 30 s here and hit the test's 15 s limit.
    with misbehaving_server(trickle) as port:
        with pytest.raises(LabError, match="no complete reply within 1 seconds"):
            Session("127.0.0.1", port, timeout=1)


def test_an_error_after_connecting_is_recorded():
    def greet_then_babble(conn):
        conn.sendall(b"220 fake.example ready\r\n")
        conn.recv(1024)
        conn.sendall(b"\x01\x02 binary junk\r\n")

    with misbehaving_server(greet_then_babble) as port:
        session = Session("127.0.0.1", port, timeout=2)
        with pytest.raises(LabError, match="not an SMTP reply"):
            session.send("EHLO c")
    assert [s.sent for s in session.steps] == ["(connect)", "EHLO c"]
    assert session.steps[1].reply is None and "not an SMTP reply" in session.steps[1].error
    assert not session.connected
    row = session.transcript.iloc[1]
    assert row["class"] == "error" and "not an SMTP reply" in row["reply"]
    assert "error" in session._repr_html_()


def test_works_against_a_plain_aiosmtpd_server():
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with Session("127.0.0.1", port) as session:
            assert session.mail("a@b.example", "c@d.example", BODY).ok
            assert session.replies[0].code == 220
    finally:
        controller.stop()
    assert session.replies[-1] == parse_reply("221 Bye")
