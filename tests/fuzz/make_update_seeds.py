#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/update/: DNS UPDATE message bodies (no TSIG record; the
fuzz_update target signs a copy itself) for the zones embedded in fuzz_update.cc
(bl.example: dnset + ip4trie, six.example: ip6trie), one file per case."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "update")


def name(n):
    b = b""
    for label in n.split("."):
        if label:
            b += bytes([len(label)]) + label.encode()
    return b + b"\0"


def rr(owner, rtype, rclass, ttl, rdata=b""):
    o = owner if isinstance(owner, bytes) else name(owner)
    return o + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def msg(zone, pre=(), up=(), add=(), qid=0x1234, flags=5 << 3, zocount=None, ztype=6, zclass=1):
    z = name(zone) + struct.pack(">HH", ztype, zclass)
    h = struct.pack(">HBBHHHH", qid, flags, 0, 1 if zocount is None else zocount, len(pre), len(up), len(add))
    return h + z + b"".join(pre) + b"".join(up) + b"".join(add)


def txt(s):
    return bytes([len(s)]) + s.encode()


A, TXT, MX, ANY = 1, 16, 15, 255
IN, CANY, NONE = 1, 255, 254
seeds = {
    "add_a": msg("bl.example", up=[rr("evil.com.bl.example", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "add_a_txt": msg("bl.example", up=[rr("evil.com.bl.example", A, IN, 300, bytes([127, 0, 0, 3])),
                                       rr("evil.com.bl.example", TXT, IN, 300, txt("bad ") + txt("site"))]),
    "add_txt_only": msg("bl.example", up=[rr("t.com.bl.example", TXT, IN, 300, txt("only text"))]),
    "add_wildcard": msg("bl.example", up=[rr("*.w.com.bl.example", A, IN, 300, bytes([127, 0, 0, 2]))]),
    "add_ip4": msg("bl.example", up=[rr("4.3.2.10.bl.example", A, IN, 300, bytes([127, 0, 0, 4]))]),
    "add_ip6": msg("six.example", up=[rr(".".join("0123456789abcdef0123456789abcdef") + ".six.example", A, IN, 300,
                                         bytes([127, 0, 0, 5]))]),
    "delete_name": msg("bl.example", up=[rr("evil.com.bl.example", ANY, CANY, 0)]),
    "delete_rrset": msg("bl.example", up=[rr("evil.com.bl.example", A, CANY, 0)]),
    "delete_rr": msg("bl.example", up=[rr("evil.com.bl.example", A, NONE, 0, bytes([127, 0, 0, 3]))]),
    "add_then_delete": msg("bl.example", up=[rr("x.com.bl.example", A, IN, 300, bytes([127, 0, 0, 3])),
                                             rr("x.com.bl.example", ANY, CANY, 0)]),
    "compressed_owner": msg("bl.example", up=[rr(name("c") + b"\xc0\x0c", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "pointer_loop": msg("bl.example", up=[rr(b"\xc0\x1c", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "out_of_zone": msg("bl.example", up=[rr("x.other.example", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "apex": msg("bl.example", up=[rr("bl.example", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "not_our_zone": msg("nope.example", up=[rr("x.nope.example", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "zone_not_soa": msg("bl.example", ztype=1),
    "zone_class_ch": msg("bl.example", zclass=3),
    "two_zones": msg("bl.example", zocount=2),
    "prereq": msg("bl.example", pre=[rr("x.com.bl.example", ANY, NONE, 0)],
                  up=[rr("x.com.bl.example", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "mx": msg("bl.example", up=[rr("x.com.bl.example", MX, IN, 300, b"\0\x0a" + name("mx.example"))]),
    "two_datasets": msg("bl.example", up=[rr("x.com.bl.example", A, IN, 300, bytes([127, 0, 0, 3])),
                                          rr("4.3.2.10.bl.example", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "bad_a_length": msg("bl.example", up=[rr("x.com.bl.example", A, IN, 300, bytes([127, 0, 0]))]),
    "bad_txt": msg("bl.example", up=[rr("x.com.bl.example", TXT, IN, 300, b"\x09short")]),
    "delete_with_ttl": msg("bl.example", up=[rr("x.com.bl.example", ANY, CANY, 5)]),
    "class_hs": msg("bl.example", up=[rr("x.com.bl.example", A, 4, 300, bytes([127, 0, 0, 3]))]),
    "bad_name": msg("bl.example", up=[rr("x.123.bl.example", A, IN, 300, bytes([127, 0, 0, 3]))]),
    "empty_update": msg("bl.example"),
    "truncated": msg("bl.example", up=[rr("x.com.bl.example", A, IN, 300, bytes([127, 0, 0, 3]))])[:-3],
    "response": msg("bl.example", flags=0x80 | (5 << 3)),
    "header_only": struct.pack(">HBBHHHH", 1, 5 << 3, 0, 0, 0, 0, 0),
    "short": b"\x00\x01\x28",
}

os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))
for k, v in seeds.items():
    with open(os.path.join(OUT, k), "wb") as f:
        f.write(v)
print(f"{len(seeds)} seeds in {OUT}")
