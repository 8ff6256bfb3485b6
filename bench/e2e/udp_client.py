#!/usr/bin/python3
"""Small UDP DNS client of the end-to-end harness (bench/e2e/run.sh). Python 3 stdlib only.

  udp_client.py send PORT QUERYFILE COUNT BURST
      Sends COUNT queries (QUERYFILE in dnsperf's "name TYPE" format, cycled) to
      127.0.0.1:PORT, BURST at a time: BURST datagrams go out back to back, then the
      client waits for their BURST answers (so a server reading with recvmmsg sees a batch)
      before sending the next burst. BURST 1 is one query at a time. Prints
      "sent=N answered=N lost=N p50_us=X p99_us=Y" (latency from the send of a burst to
      each answer; meaningful for BURST 1).
  udp_client.py wait PORT T0 [TIMEOUT]
      Sends a query (A for `bl.example`; any answer counts, REFUSED included) every 10 ms
      until one is answered; prints the seconds from T0 (a Unix time from `date +%s.%N`
      taken just before the server was started) to that answer, or "timeout".
"""
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "ANY": 255}


def wire(qid, name, qtype):
    out = bytearray(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0))
    for label in name.rstrip(".").split("."):
        out.append(len(label))
        out += label.encode()
    out.append(0)
    out += struct.pack("!HH", TYPES[qtype.upper()], 1)
    return bytes(out)


def load(path):
    qs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                qs.append((parts[0], parts[1]))
    return qs


def send(port, path, count, burst):
    qs = load(path)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(("127.0.0.1", port))
    s.settimeout(10.0)  # generous: the server may run under callgrind
    packets = [wire(i & 0xFFFF, *qs[i % len(qs)]) for i in range(min(count, 65536))]
    answered = lost = 0
    lat = []
    i = 0
    while i < count:
        n = min(burst, count - i)
        want = set()
        t0 = time.perf_counter()
        for k in range(n):
            p = packets[(i + k) % len(packets)]
            want.add(p[:2])
            s.send(p)
        while want:
            try:
                r = s.recv(4096)
            except socket.timeout:
                lost += len(want)
                break
            if r[:2] in want:
                want.discard(r[:2])
                answered += 1
                lat.append(time.perf_counter() - t0)
        i += n
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1e6 if lat else 0.0

    print(f"sent={count} answered={answered} lost={lost} p50_us={pct(0.5):.1f} p99_us={pct(0.99):.1f}")


def wait(port, t0, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.010)
    q = wire(4242, "bl.example", "A")
    while time.time() - t0 < timeout:
        try:
            s.sendto(q, ("127.0.0.1", port))
            r, _ = s.recvfrom(4096)
            if r[:2] == q[:2]:
                print(f"{time.time() - t0:.3f}")
                return 0
        except (socket.timeout, ConnectionRefusedError):
            pass
    print("timeout")
    return 1


def main(argv):
    if len(argv) >= 5 and argv[0] == "send":
        send(int(argv[1]), argv[2], int(argv[3]), int(argv[4]))
        return 0
    if len(argv) >= 3 and argv[0] == "wait":
        return wait(int(argv[1]), float(argv[2]), float(argv[3]) if len(argv) > 3 else 600.0)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
