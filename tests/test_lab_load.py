"""The lab under a classroom's load and a careless client's faults, over 127.0.0.1."""

import smtplib
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from smtplearn.lab import LabServer, Session

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]

SESSIONS, MESSAGES = 100, 5


def message(number: int) -> str:
    return (f"Subject: load {number}\r\nMessage-ID: <{number}@load.example>\r\n\r\n"
            f"message number {number}\r\n")


def test_100_concurrent_sessions_of_5_messages_each_arrive_exactly_once():
    start = threading.Barrier(SESSIONS, timeout=30)

    def one_client(index: int) -> list:
        problems = []
        start.wait()  # all sessions open at the same moment
        with smtplib.SMTP(server.host, server.port, local_hostname=f"c{index}.example",
                          timeout=30) as smtp:
            for m in range(MESSAGES):
                number = index * MESSAGES + m
                refused = smtp.sendmail(f"c{index}@load.example", [f"u{number}@lab.example"],
                                        message(number))
                if refused:
                    problems.append(refused)
        return problems

    with LabServer(max_messages=SESSIONS * MESSAGES) as server:
        with ThreadPoolExecutor(SESSIONS) as pool:
            results = list(pool.map(one_client, range(SESSIONS)))
        received = server.received
        log = server.log
    assert [p for p in results if p] == []
    numbers = sorted(int(m.message["Message-ID"][1:].split("@")[0]) for m in received)
    assert numbers == list(range(SESSIONS * MESSAGES))
    for item in received:
        number = int(item.message["Message-ID"][1:].split("@")[0])
        assert item.recipients == (f"u{number}@lab.example",)
        assert item.sender == f"c{number // MESSAGES}@load.example"
    assert len({e.session for e in log}) == SESSIONS
    assert not [e for e in log if e.code and e.code >= 400]


def raw_client(server) -> socket.socket:
    raw = socket.create_connection((server.host, server.port), timeout=10)
    raw.recv(1024)
    return raw


def read_until_closed_or(raw, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = raw.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def disconnect_mid_data(server):
    raw = raw_client(server)
    raw.sendall(b"EHLO f\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@lab.example>\r\nDATA\r\n")
    read_until_closed_or(raw, b"354 ")
    raw.sendall(b"Subject: cut\r\n\r\nhalf of a mess")
    raw.close()


def hundred_kb_line(server):
    raw = raw_client(server)
    raw.sendall(b"NOOP " + b"x" * 100_000 + b"\r\n")
    reply = read_until_closed_or(raw, b"\r\n")
    raw.close()
    assert reply.startswith(b"500 5.5.2"), reply[:80]


def hundred_kb_line_in_data(server):
    raw = raw_client(server)
    raw.sendall(b"EHLO f\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@lab.example>\r\nDATA\r\n")
    read_until_closed_or(raw, b"354 ")
    raw.sendall(b"y" * 100_000 + b"\r\n.\r\n")
    reply = read_until_closed_or(raw, b"\r\n")
    raw.close()
    assert reply.startswith(b"500 5.5.2"), reply[:80]


def binary_junk(server):
    raw = raw_client(server)
    raw.sendall(bytes(range(256)) * 40 + b"\r\n\x00\xff\xfe\r\n")
    read_until_closed_or(raw, b"\r\n")
    raw.close()


FAULTS = [disconnect_mid_data, hundred_kb_line, hundred_kb_line_in_data, binary_junk]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__)
def test_a_faulty_client_leaves_the_server_serving_others(fault):
    with LabServer() as server:
        bystander = Session(server)  # open before, still served after
        bystander.send("EHLO bystander.example")
        for _ in range(3):
            fault(server)
        assert bystander.mail("a@client.example", "b@lab.example", "Subject: ok\n\nfine\n").ok
        with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
            assert smtp.sendmail("a@client.example", ["b@lab.example"], "Subject: x\r\n\r\ny") == {}
        received = server.received
    assert len(received) == 2  # nothing from the faulty clients was kept
    assert all(b"half of a mess" not in m.content for m in received)


def test_faults_while_others_send():
    with LabServer() as server:
        def good(index):
            with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
                for m in range(3):
                    smtp.sendmail("a@client.example", [f"g{index}-{m}@lab.example"], "Subject: g\r\n\r\nok")

        def bad(index):
            FAULTS[index % len(FAULTS)](server)

        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(good, i) for i in range(8)] + [pool.submit(bad, i) for i in range(8)]
            for future in futures:
                future.result()
        assert len(server.received) == 24


def test_20_lab_servers_at_once_get_distinct_ports_and_all_work():
    servers = [LabServer(name) for name in ["classic", "greylist"] * 10]

    def start(server):
        return server.start()

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(start, servers))
    try:
        assert len({s.port for s in servers}) == 20
        for index, server in enumerate(servers):
            with Session(server) as session:
                delivery = session.mail("a@client.example", "student@lab.example", "Subject: s\n\nx\n")
                assert delivery.final.code == (250 if index % 2 == 0 else 451)
    finally:
        with ThreadPoolExecutor(20) as pool:
            list(pool.map(lambda s: s.stop(), servers))
    assert not any(s.running for s in servers)
