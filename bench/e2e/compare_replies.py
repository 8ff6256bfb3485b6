#!/usr/bin/python3
"""Byte-for-byte comparison of the replies of two fastrbld binaries to the same queries.

  compare_replies.py OLD_FASTRBLD NEW_FASTRBLD DATA_DIR [COUNT] [CONFIG] [BURST]

Starts each binary in turn (`-n --db TMP --workers 1`, 127.0.0.1, the data of bench/e2e/gen_data.py:
CONFIG mix (default: bl1.example ip4set + dbl.example dnset) or ip6 (bl6.example ip6trie,
with the mix's zones beside it)) and sends it the same queries one at a time (or BURST at
a time, default 1, replies matched by ID, so that the server's receive batches fill): the
first COUNT (default 30000) names of q-mix.txt (q-ip6.txt), every seventh also with EDNS (OPT, 1232
bytes, DO set on every other one), every eleventh with the name in upper case, every
thirteenth with RD clear; apex SOA/NS/ANY/A/TXT of both zones; ANY and MX for 2,000 names;
and names the fast path must leave to the general path (IPv4 prefixes, non-numeric and
over-long octet labels, five labels, class CH/ANY, AAAA, opcode and flag oddities,
QDCOUNT 0, trailing bytes, a name outside every zone). Prints the number of queries, of
differing replies (with the first few shown in hex) and of queries either side dropped.
Exit status 1 if any reply differs. Python 3 stdlib only.
"""
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

TYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "ANY": 255}


def wire(qid, name, qtype, qclass=1, flags=0x0100, edns=None, counts=None, trailing=b""):
    labels = [l for l in name.rstrip(".").split(".") if l]
    qd, an, ns, ar = counts if counts else (1, 0, 0, 1 if edns else 0)
    out = bytearray(struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar))
    for label in labels:
        out.append(len(label))
        out += label.encode("latin-1")
    out.append(0)
    out += struct.pack("!HH", qtype, qclass)
    if edns:
        size, do = edns
        out += b"\x00" + struct.pack("!HHBBHH", 41, size, 0, 0, 0x8000 if do else 0, 0)
    return bytes(out + trailing)


def queries(data, count, config):
    names = []
    with open(os.path.join(data, "q-ip6.txt" if config == "ip6" else "q-mix.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                names.append((parts[0], parts[1]))
            if len(names) >= count:
                break
    out = []
    for i, (name, t) in enumerate(names):
        kw = {}
        if i % 7 == 0:
            kw["edns"] = (1232, i % 14 == 0)
        if i % 11 == 0:
            name = name.upper()
        if i % 13 == 0:
            kw["flags"] = 0
        out.append(wire(i & 0xFFFF, name, TYPES[t], **kw))
    rng = random.Random(7)
    for zone in ("bl1.example", "dbl.example", "BL1.Example", "dbl.EXAMPLE", "bl6.example"):
        for t in ("SOA", "NS", "ANY", "A", "TXT", "MX"):
            out.append(wire(rng.randrange(65536), zone, TYPES[t]))
            out.append(wire(rng.randrange(65536), zone, TYPES[t], edns=(4096, True)))
    for i, (name, _) in enumerate(names[:2000]):
        out.append(wire(rng.randrange(65536), name.upper() if i % 2 else name, TYPES["ANY" if i % 3 else "MX"]))
    odd = ["4.3.2.bl1.example", "3.2.bl1.example", "1.bl1.example", "a.3.2.1.bl1.example", "256.3.2.1.bl1.example",
           "0004.3.2.1.bl1.example", "04.03.002.1.bl1.example", "5.4.3.2.1.bl1.example", "x.bl1.example",
           "com.dbl.example", "example.com.dbl.example", "*.dbl.example", "nothere.example", "example", ""]
    for name in odd:
        for t in ("A", "TXT", "AAAA", "ANY"):
            out.append(wire(rng.randrange(65536), name, TYPES[t]))
    first = names[0][0]
    out += [
        wire(1, first, 16, qclass=3),  # CH
        wire(2, first, 1, qclass=255),  # ANY class
        wire(3, first, 1, flags=0x2900),  # opcode 5 (UPDATE), RD
        wire(4, first, 1, flags=0x0500),  # AA set
        wire(5, first, 1, flags=0x0300),  # TC set
        wire(6, first, 1, flags=0x0110),  # AD and the Z bit set (ignored)
        wire(7, first, 1, counts=(0, 0, 0, 0)),
        wire(8, first, 1, counts=(1, 1, 0, 0)),
        wire(9, first, 1, trailing=b"\x00\x01garbage"),
        wire(10, first, 1, edns=(100, False)),
        wire(11, first, 251),  # a type >= TSIG
        wire(12, "version.bind", 16, qclass=3),
    ]
    return out


def run(binary, data, packets, config, burst):
    port = 17000 + random.randrange(1000)
    specs = [f"bl1.example:ip4set:{data}/ip4-small.txt", f"dbl.example:dnset:{data}/dn.txt"]
    if config == "ip6":
        specs.append(f"bl6.example:ip6trie:{data}/ip6.txt")
    # A store of its own (--db works with builds from before the default store): never the
    # default state directory (/var/lib/fastrbl when run as root).
    db = tempfile.mkdtemp(prefix="fastrbl-cmp-db-")
    os.chmod(db, 0o777)  # started as root, fastrbld serves as rbldns
    proc = subprocess.Popen([binary, "-n", "--db", db, "--workers", "1", "-b", f"127.0.0.1/{port}"] + specs,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("127.0.0.1", port))
        s.settimeout(0.2)
        deadline = time.time() + 120
        while True:  # wait for the first answer
            try:
                s.send(wire(0, "bl1.example", 6))
                s.recv(4096)
                break
            except (socket.timeout, ConnectionRefusedError):
                if time.time() > deadline:
                    raise SystemExit(f"{binary} did not answer")
        s.settimeout(0.3)
        replies = []
        # Each query carries its index as ID; late replies are skipped. BURST queries go
        # out before their replies are read, so that the server's recvmmsg batches fill
        # (its batch path prefetches), and are matched by ID.
        for k in range(0, len(packets), burst):
            chunk = packets[k:k + burst]
            for p in chunk:
                s.send(p)
            want = {p[:2] for p in chunk}
            got = {}
            try:
                while len(got) < len(want):
                    r = s.recv(65535)
                    if r[:2] in want:
                        got[r[:2]] = r
            except socket.timeout:
                pass  # the rest dropped (as a malformed query should be)
            replies.extend(got.get(p[:2]) for p in chunk)
        return replies
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(db, ignore_errors=True)


def main():
    old, new, data = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 30000
    config = sys.argv[5] if len(sys.argv) > 5 else "mix"
    burst = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    packets = [struct.pack("!H", (i + 1) & 0xFFFF) + p[2:] for i, p in enumerate(queries(data, count, config))]
    a = run(old, data, packets, config, burst)
    b = run(new, data, packets, config, burst)
    diff = [i for i in range(len(packets)) if a[i] != b[i]]
    dropped = sum(1 for r in a if r is None), sum(1 for r in b if r is None)
    print(f"queries={len(packets)} differing={len(diff)} dropped_old={dropped[0]} dropped_new={dropped[1]}")
    for i in diff[:5]:
        print(f"query {packets[i].hex()}\n  old {a[i].hex() if a[i] else None}\n  new {b[i].hex() if b[i] else None}")
    sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()
