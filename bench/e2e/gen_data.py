#!/usr/bin/python3
"""Data and query files for the end-to-end harness (bench/e2e/run.sh). Python 3 stdlib only.

  gen_data.py DIR IP4_SMALL IP4_LARGE DNSET IP6TRIE

writes into DIR:
  ip4-small.txt  ip4set of IP4_SMALL random /32 addresses (zone bl1.example)
  ip4-large.txt  ip4set of IP4_LARGE random /32 addresses (zone bl10.example)
  dn.txt         dnset of DNSET domains, one in 8 a wildcard (zone dbl.example)
  ip6.txt        ip6trie of IP6TRIE prefixes, /64 and one in 4 a /48 (zone bl6.example)
and a query file per data file (q-ip4-small.txt, ...; dnsperf's "name TYPE" format,
100,000 lines, 20 % listed names, 80 % A and 20 % TXT queries, the two drawn
independently: 4 % are listed TXT) plus q-mix.txt, the ip4-small
and dn queries interleaved (the "1M ip4set + 1M dnset" mix).

Entries come from a bijection of the entry index (an odd multiplier mod 2^32), so they are
distinct without keeping a set, and index n + j is never listed: misses are exact.
"""
import os
import random
import sys

SOA = "$SOA 3600 ns1.example.net. hostmaster.example.net. 1 600 300 86400 60\n$NS 3600 ns1.example.net\n"
QUERIES = 100000
HIT_EVERY = 5  # 20 % listed
TXT_EVERY = 5  # 20 % TXT


def bij32(i):
    return (i * 2654435761 + 0x5BD1E995) & 0xFFFFFFFF


def dotted(a):
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"


def rev4(a):
    return f"{a & 255}.{(a >> 8) & 255}.{(a >> 16) & 255}.{a >> 24}"


def ip6_hi(i):
    # 2a01:xxxx:xxxx:xxxx from two bijections of the index.
    return (0x2A01 << 48) | (bij32(i) << 16) | (bij32(i ^ 0x9E37) & 0xFFFF)


def groups4(hi):
    return f"{hi >> 48:x}:{(hi >> 32) & 0xffff:x}:{(hi >> 16) & 0xffff:x}:{hi & 0xffff:x}"


def rev6(hi, lo):
    v = (hi << 64) | lo
    return ".".join(f"{(v >> (4 * k)) & 15:x}" for k in range(32))


def dn_name(i):
    return f"w{bij32(i):08x}.example.org" if i % 8 == 7 else f"d{bij32(i):08x}.example.com"


def write_lines(path, head, gen, n, chunk=200000):
    with open(path, "w") as f:
        f.write(head)
        for start in range(0, n, chunk):
            f.write("".join(gen(i) for i in range(start, min(n, start + chunk))))


def queries(rnd, n, name_of, zone):
    out = []
    for k in range(QUERIES):
        i = rnd.randrange(n) if k % HIT_EVERY == 0 else n + rnd.randrange(1 << 30)
        qtype = "TXT" if (k // HIT_EVERY) % TXT_EVERY == 1 else "A"  # listed or not alike
        out.append(f"{name_of(i)}.{zone} {qtype}\n")
    return out


def main(argv):
    d = argv[0]
    n4s, n4l, ndn, n6 = (int(x) for x in argv[1:5])
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(20261122)

    def ip4_line(i):
        return dotted(bij32(i)) + (f" :127.0.0.4:Spam source $, ticket {i}\n" if i % 16 == 0 else "\n")

    head4 = SOA + ":127.0.0.2:Listed, see https://bl.example/lookup?ip=$\n"
    write_lines(f"{d}/ip4-small.txt", head4, ip4_line, n4s)
    write_lines(f"{d}/ip4-large.txt", head4, ip4_line, n4l)

    def dn_line(i):
        return f"*.{dn_name(i)}\n" if i % 8 == 7 else f"{dn_name(i)}\n"

    write_lines(f"{d}/dn.txt", SOA + ":127.0.0.2:Listed domain $\n", dn_line, ndn)

    def ip6_line(i):
        hi = ip6_hi(i)
        p = f"{groups4(hi & ~0xFFFF)}::/48" if i % 4 == 3 else f"{groups4(hi)}::/64"
        return p + (" :127.0.0.4:Range $\n" if i % 16 == 0 else "\n")

    write_lines(f"{d}/ip6.txt", SOA + ":127.0.0.2:Listed $\n", ip6_line, n6)

    q4s = queries(rnd, n4s, lambda i: rev4(bij32(i)), "bl1.example")
    q4l = queries(rnd, n4l, lambda i: rev4(bij32(i)), "bl10.example")
    qdn = queries(rnd, ndn, lambda i: ("www." + dn_name(i)) if i % 8 == 7 else dn_name(i), "dbl.example")
    q6 = queries(rnd, n6, lambda i: rev6(ip6_hi(i), bij32(i) | 1), "bl6.example")
    for name, qs in (("ip4-small", q4s), ("ip4-large", q4l), ("dn", qdn), ("ip6", q6)):
        with open(f"{d}/q-{name}.txt", "w") as f:
            f.writelines(qs)
    with open(f"{d}/q-mix.txt", "w") as f:
        for a, b in zip(q4s, qdn):
            f.write(a)
            f.write(b)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
