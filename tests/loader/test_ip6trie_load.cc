// Data-file tests for the ip6trie type, table-driven. Expected answers and warnings were
// checked against Debian's rbldnsd 1.0~20210120 on loopback (its `ents=` too; its other
// trie counters describe rbldnsd's own nodes and are not reproduced).

#include "ip_load_util.h"

namespace fastrbl::loader {
namespace {

using testing::ask;
using testing::check_ip_rows;
using testing::IpLoaded;
using testing::Lines;
using testing::load_ip;
using testing::rev6;
using testing::Rrs;

const Rrs kListed = {"A 127.0.0.2 2100"};
const Lines kNone;
Lines w(const std::string& s) { return {s}; }

TEST_CASE("ip6trie load: prefixes, exclusions, duplicates, subject text", "[ip6trie_load]") {
  IpLoaded l = load_ip("ip6trie", {{"f",
                                    "2001:21ab:c000 :3:net48 $\n2001:db8::/32 :4:doc $\n!2001:db8:1::/48\n"
                                    "2001:db8:1:2::1 :5:host $\n2001\n::1 :6:lo $\n::/0 :7:all $\n"
                                    "2001:db8::/32 :8:dup\n2001:db8:0:0:0:0:0:0/32\n::ffff:1.2.3.4\n"
                                    "2001:db8:5:\n2001:db8:5:6:7:8:9:a :9:full $\nfe80::1/64\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings == Lines{"file f(5): invalid address", "file f(8): duplicated entry for 2001:db8::/32",
                            "file f(9): duplicated entry for 2001:db8::/32", "file f(10): invalid address",
                            "file f(11): invalid address", "ip6trie:f: 1 more warnings suppressed"});
  REQUIRE(l.info.size() == 1);
  CHECK(l.info[0].rfind("ip6trie:f: 20231114 221320: ents=7 tbm=", 0) == 0);
  const std::vector<std::pair<std::string, Rrs>> rows = {
      {"2001:21ab:c000::5", {"A 127.0.0.3 2100", "TXT \"net48 2001:21ab:c000::5\" 2100"}},
      {"2001:db8::1", {"A 127.0.0.4 2100", "TXT \"doc 2001:db8::1\" 2100"}},
      {"2001:db8:1::1", {}},
      {"2001:db8:1:2::1", {"A 127.0.0.5 2100", "TXT \"host 2001:db8:1:2::1\" 2100"}},
      {"::1", {"A 127.0.0.6 2100", "TXT \"lo ::1\" 2100"}},
      {"1::", {"A 127.0.0.7 2100", "TXT \"all 1::\" 2100"}},
      {"0:0:1::", {"A 127.0.0.7 2100", "TXT \"all 0:0:1::\" 2100"}},
      {"2001:db8:5:6:7:8:9:a", {"A 127.0.0.9 2100", "TXT \"full 2001:db8:5:6:7:8:9:a\" 2100"}},
  };
  for (const auto& [addr, rrs] : rows) {
    INFO(addr);
    testing::Answer a = ask(*l.snap, rev6(addr) + ".bl");
    CHECK(a.found == !rrs.empty());
    CHECK(a.rrs == rrs);
  }
  // Empty non-terminals (our RFC 8020 difference; rbldnsd says NXDOMAIN).
  CHECK(ask(*l.snap, "8.b.d.0.1.0.0.2.bl").found);
  CHECK(ask(*l.snap, "8.b.d.0.1.0.0.2.bl").rrs.empty());
}

TEST_CASE("ip6trie load: address forms", "[ip6trie_load]") {
  const std::string a1 = rev6("2001:db8::1");
  check_ip_rows(
      "ip6trie",
      {
          {"2001:db8", {{a1, true, kListed}}, kNone},
          {"2001:DB8:AB::1", {{rev6("2001:db8:ab::1"), true, kListed}}, kNone},
          {"::", {{rev6("::"), true, kListed}, {rev6("::1"), false, {}}}, kNone},
          {":: :3", {{rev6("::"), true, {"A 127.0.0.3 2100"}}}, kNone},
          {"2001/16", {{a1, true, kListed}}, kNone},
          {"2001 :3", {}, w("file f(1): invalid address")},
          {"2001:", {}, w("file f(1): invalid address")},
          {"2001:/16", {}, w("file f(1): invalid address")},
          {"2001:db8:/32", {}, w("file f(1): invalid address")},
          {"2001:db8:5: :3", {}, w("file f(1): invalid address")},
          {"1:2:3:4:5:6:7:", {}, w("file f(1): invalid address")},
          {"00001::", {{rev6("1::"), true, kListed}}, kNone},
          {"0000000000001::", {{rev6("1::"), true, kListed}}, kNone},
          {"12345::", {}, w("file f(1): invalid address")},
          {"g::", {}, w("file f(1): invalid address")},
          {"::g", {}, w("file f(1): invalid address")},
          {"::ffff:1.2.3.4", {}, w("file f(1): invalid address")},
          {"::1.2.3.4", {}, w("file f(1): invalid address")},
          {"1::2:3:4:5:6:7:8", {}, w("file f(1): invalid address")},
          {"1:2:3:4:5:6:7::", {{rev6("1:2:3:4:5:6:7:0"), true, kListed}}, kNone},
          {"2001:db8::/", {}, w("file f(1): invalid address")},
          {"2001:db8::/-1", {}, w("file f(1): invalid address")},
          {"::/129", {}, w("file f(1): invalid address")},
          {"::/00128", {{rev6("::"), true, kListed}}, kNone},
          {"2001:db8::1x", {}, w("file f(1): invalid address")},
          {"200a::/16x", {}, w("file f(1): invalid address")},
          {"200b::  /16", {{rev6("200b::"), true, {"A 127.0.0.2 2100", "TXT \"/16\" 2100"}}}, kNone},
          {"2001:db8::1#c", {{a1, true, kListed}}, kNone},
          {"fe80::1/64", {}, w("file f(1): invalid range (non-zero host part)")},
          {"2001:db8::5:/64", {}, w("file f(1): invalid range (non-zero host part)")},
          {"2001:db8::5:/128", {{rev6("2001:db8::5"), true, kListed}}, kNone},
          {"::/0\n!2001:db8::1 :3:x", {{a1, false, {}}, {rev6("::2"), true, kListed}}, kNone},
          {"::/0\n! 2001:db8::1", {{a1, false, {}}}, kNone},
      });
}

TEST_CASE("ip6trie load: where the address ends and the value begins", "[ip6trie_load]") {
  // After the 8th group, or at a second `::` (whose first colon the address takes), the
  // rest of the line is the value.
  const std::string a = rev6("2007::1");
  check_ip_rows(
      "ip6trie",
      {
          {"2001:db8:1:2:3:4:5:6:7", {{rev6("2001:db8:1:2:3:4:5:6"), true, {"A 127.0.0.7 2100"}}}, kNone},
          {"2007::1::3", {{a, true, {"A 127.0.0.3 2100"}}}, kNone},
          {"2007::1:", {{a, true, kListed}}, kNone},
          {"2007::1: :3:x", {{a, true, {"A 127.0.0.3 2100", "TXT \"x\" 2100"}}}, kNone},
          {"2007::1 :", {}, w("file f(1): invalid A RR")},
          {"2007::1:::3", {}, w("file f(1): invalid A RR")},
          {"1:2:3:4:5:6:7:8::", {}, w("file f(1): invalid A RR")},
          {"1:2:3:4:5:6:7:8:", {}, w("file f(1): invalid A RR")},
          {"4::5:x", {}, w("file f(1): invalid address")},
      });
  LoadOptions e;
  e.accept_host_bits = true;
  check_ip_rows("ip6trie", {{"fe80::1/64", {{rev6("fe80::2"), true, kListed}}, kNone}}, e);
}

TEST_CASE("ip6trie load: defaults last to the end of the file", "[ip6trie_load]") {
  IpLoaded l = load_ip("ip6trie", {{"a", ":3:d1\n2001:db8::1\n"}, {"b", "2001:db8::2\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(ask(*l.snap, rev6("2001:db8::1") + ".bl").rrs == Rrs{"A 127.0.0.3 2100", "TXT \"d1\" 2100"});
  CHECK(ask(*l.snap, rev6("2001:db8::2") + ".bl").rrs == kListed);
}

}  // namespace
}  // namespace fastrbl::loader
