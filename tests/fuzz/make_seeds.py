#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_query: one raw DNS query per file.

The queries target the zone embedded in fuzz_query.cc (bl.example, an ip4set) and cover
hits, misses, every query type answer() treats specially, EDNS, CHAOS version queries,
NOTIMP opcodes and one file per malformed-input class of parse_query (STYLE.md 33).

Standard library only. Deterministic: rerunning it rewrites the same bytes.
    tests/fuzz/make_seeds.py [output-dir]     (default: tests/fuzz/corpus/query)
"""

import os
import struct
import sys

A, NS, SOA, MX, TXT, AAAA, OPT, TSIG, IXFR, AXFR, ANY = 1, 2, 6, 15, 16, 28, 41, 250, 251, 252, 255
IN, CH, HS, CLASS_ANY = 1, 3, 4, 255
RD, TC, AA, QR = 0x01, 0x02, 0x04, 0x80

ZONE = "bl.example"


def name(text):
    """Uncompressed wire name; no validation, so malformed names can be made too."""
    out = b""
    for label in text.strip(".").split("."):
        if label:
            raw = label.encode("latin-1")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def header(qid=0x1234, flags1=RD, flags2=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HBBHHHH", qid, flags1, flags2, qd, an, ns, ar)


def question(qname, qtype, qclass=IN):
    return name(qname) + struct.pack("!HH", qtype, qclass)


def opt(size=4096, version=0, do=False, owner=b"\0", rdata=b""):
    flags = 0x8000 if do else 0
    return owner + struct.pack("!HHBBHH", OPT, size, 0, version, flags, len(rdata)) + rdata


def query(qname, qtype, qclass=IN, **kw):
    return header(**kw) + question(qname, qtype, qclass)


def edns_query(qname, qtype, size=4096, version=0, do=False):
    return header(ar=1) + question(qname, qtype) + opt(size, version, do)


def rel(sub):
    return sub + "." + ZONE


def seeds():
    s = {}
    # Hits and misses (see the data file in fuzz_query.cc).
    s["a_hit"] = query(rel("2.0.0.127"), A)
    s["txt_hit"] = query(rel("2.0.0.127"), TXT)
    s["any_hit"] = query(rel("2.0.0.127"), ANY)
    s["mx_hit_nodata"] = query(rel("2.0.0.127"), MX)
    s["aaaa_hit_nodata"] = query(rel("2.0.0.127"), AAAA)
    s["a_hit_cidr"] = query(rel("1.0.0.10"), A)
    s["txt_hit_vars"] = query(rel("2.2.1.10"), TXT)
    s["a_excluded"] = query(rel("3.2.1.10"), A)
    s["a_excluded_16"] = query(rel("1.0.1.10"), A)
    s["txt_range"] = query(rel("5.3.2.1"), TXT)
    s["any_multi_value"] = query(rel("9.9.9.10"), ANY)
    s["txt_big_answer"] = query(rel("9.9.9.10"), TXT)
    s["a_miss"] = query(rel("1.0.0.127"), A)
    s["txt_miss"] = query(rel("1.0.0.127"), TXT)
    s["any_miss"] = query(rel("4.4.4.4"), ANY)
    s["a_ent"] = query(rel("0.127"), A)
    s["a_ent_one_label"] = query(rel("10"), A)
    s["a_not_ip"] = query(rel("www"), A)
    s["a_bad_octet"] = query(rel("256.0.0.127"), A)
    s["a_five_labels"] = query(rel("1.2.0.0.127"), A)
    s["a_leading_zeros"] = query(rel("002.000.000.127"), A)
    s["a_mixed_case"] = query("2.0.0.127.BL.Example", A)
    nibbles = ".".join(reversed("2002" + "7f000002" + "0" * 20))  # 6to4 for 127.0.0.2
    s["a_ip6_6to4"] = query(rel(nibbles), A)
    mapped = ".".join(reversed("0" * 20 + "ffff" + "7f000002"))
    s["txt_ip6_mapped"] = query(rel(mapped), TXT)
    # The apex.
    s["soa_apex"] = query(ZONE, SOA)
    s["ns_apex"] = query(ZONE, NS)
    s["any_apex"] = query(ZONE, ANY)
    s["a_apex_nodata"] = query(ZONE, A)
    s["soa_below_apex"] = query(rel("2.0.0.127"), SOA)
    s["ns_below_apex"] = query(rel("2.0.0.127"), NS)
    # Outside every zone.
    s["refused_other_zone"] = query("www.example.com", A)
    s["refused_root"] = query(".", NS)
    s["refused_parent"] = query("example", SOA)
    # Classes.
    s["class_any"] = query(rel("2.0.0.127"), A, CLASS_ANY)
    s["class_hs"] = query(rel("2.0.0.127"), A, HS)
    s["ch_version_bind"] = query("version.bind", TXT, CH)
    s["ch_version_server"] = query("VERSION.SERVER", TXT, CH)
    s["ch_hostname_bind"] = query("hostname.bind", TXT, CH)
    s["ch_version_bind_a"] = query("version.bind", A, CH)
    s["in_version_bind"] = query("version.bind", TXT, IN)
    # NOTIMP: opcodes other than QUERY, AA or TC in the query, meta types.
    for opcode, label in ((1, "iquery"), (2, "status"), (4, "notify"), (5, "update"), (15, "op15")):
        s["notimp_opcode_" + label] = query(ZONE, SOA, flags1=(opcode << 3) | RD)
    s["notimp_aa_set"] = query(rel("2.0.0.127"), A, flags1=AA | RD)
    s["notimp_tc_set"] = query(rel("2.0.0.127"), A, flags1=TC)
    for qtype, label in ((TSIG, "tsig"), (IXFR, "ixfr"), (AXFR, "axfr"), (256, "type256"), (65535, "type65535")):
        s["notimp_qtype_" + label] = query(ZONE, qtype)
    s["other_type_ptr"] = query(rel("2.0.0.127"), 12)
    s["rd_clear_ra_ad_cd_set"] = query(rel("2.0.0.127"), A, flags1=0, flags2=0x80 | 0x20 | 0x10)
    # EDNS.
    s["edns_a_hit"] = edns_query(rel("2.0.0.127"), A)
    s["edns_do"] = edns_query(rel("2.0.0.127"), TXT, 1232, do=True)
    s["edns_small_size"] = edns_query(rel("9.9.9.10"), TXT, 100)
    s["edns_big_answer"] = edns_query(rel("9.9.9.10"), ANY, 65535)
    s["edns_miss"] = edns_query(rel("1.0.0.127"), A, 4096)
    s["edns_badvers"] = edns_query(rel("2.0.0.127"), A, 4096, version=1)
    s["edns_option_cookie"] = header(ar=1) + question(rel("2.0.0.127"), A) + opt(
        rdata=struct.pack("!HH", 10, 8) + b"\x01\x02\x03\x04\x05\x06\x07\x08")
    s["edns_ch_version"] = header(ar=1) + question("version.bind", TXT, CH) + opt(1232)
    # Malformed input, one per class.
    good = query(rel("2.0.0.127"), A)
    s["bad_short_header"] = good[:7]
    s["bad_header_only"] = good[:12]
    s["bad_truncated_question"] = good[:-2]
    s["bad_truncated_name"] = good[:16]
    s["trailing_bytes"] = good + b"\xde\xad\xbe\xef" * 4
    s["bad_qdcount_0"] = header(qd=0) + question(rel("2.0.0.127"), A)
    s["bad_qdcount_2"] = header(qd=2) + question(rel("2.0.0.127"), A) + question(rel("3.0.0.127"), A)
    s["bad_qr_set"] = query(rel("2.0.0.127"), A, flags1=QR | RD)
    s["bad_label_64"] = header() + bytes([64]) + b"a" * 64 + name(ZONE) + struct.pack("!HH", A, IN)
    long_name = ".".join(["a" * 63] * 3 + ["b" * 60]) + "." + "c"  # 3*64 + 61 + 2 + 1 = 256
    s["bad_name_256"] = header() + name(long_name) + struct.pack("!HH", A, IN)
    s["name_255"] = header() + name(".".join(["a" * 63] * 3 + ["b" * 61])) + struct.pack("!HH", A, IN)
    s["bad_compression_pointer"] = header() + b"\x01\x32\xc0\x0c" + struct.pack("!HH", A, IN)
    s["bad_label_past_end"] = header() + b"\x3f" + b"x" * 10
    s["bad_opt_owner"] = header(ar=1) + question(rel("2.0.0.127"), A) + opt(owner=name("x"))
    s["bad_opt_duplicate"] = header(ar=2) + question(rel("2.0.0.127"), A) + opt() + opt(512)
    s["opt_in_answer_section"] = header(an=1) + question(rel("2.0.0.127"), A) + opt()
    s["unwalkable_additional"] = header(ar=3) + question(rel("2.0.0.127"), A) + b"\x00\x00\x29\x10"
    s["huge_counts"] = header(an=0xFFFF, ns=0xFFFF, ar=0xFFFF) + question(rel("2.0.0.127"), A) + opt()
    s["oversized_query"] = header(ar=1) + question(rel("2.0.0.127"), A) + opt(
        rdata=struct.pack("!HH", 65001, 2100) + b"\0" * 2100)
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "query")
    os.makedirs(out, exist_ok=True)
    for key, data in sorted(seeds().items()):
        with open(os.path.join(out, key), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds())} seeds to {out}")


if __name__ == "__main__":
    main()
