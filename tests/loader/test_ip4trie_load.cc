// Data-file tests for the ip4trie type, table-driven. Expected answers and warnings were
// checked against Debian's rbldnsd 1.0~20210120 on loopback (its `ents=` too; its other
// trie counters describe rbldnsd's own nodes and are not reproduced).

#include "ip_load_util.h"

namespace fastrbl::loader {
namespace {

using testing::check_ip_rows;
using testing::IpLoaded;
using testing::Lines;
using testing::load_ip;
using testing::Rrs;

const Rrs kListed = {"A 127.0.0.2 2100"};
const Lines kNone;
Lines w(const std::string& s) { return {s}; }

TEST_CASE("ip4trie load: longest prefix, exclusions, first duplicate wins", "[ip4trie_load]") {
  IpLoaded l = load_ip("ip4trie", {{"f",
                                    "10.0.0.0/8 :3:ten $\n!10.1.0.0/16\n10.1.2.0/24 :4:net\n!10.1.2.3\n"
                                    "10.1.2.0/24 :5:dup\n!10.1.2.0/24\n10.1.2.4 :6:host\n10.1.2.4 :7:host2\n"
                                    "!10.1.2.5\n10.1.2.5 :8:\n1.2.3.4-5\n1\n1/8\n2.0.0.1/8\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings ==
        Lines{"file f(5): duplicated entry for 10.1.2.0/24", "file f(6): duplicated entry for 10.1.2.0/24",
              "file f(8): duplicated entry for 10.1.2.4/32", "file f(10): duplicated entry for 10.1.2.5/32",
              "file f(11): invalid address", "ip4trie:f: 2 more warnings suppressed"});
  REQUIRE(l.info.size() == 1);
  CHECK(l.info[0].rfind("ip4trie:f: 20231114 221320: ents=7 tbm=", 0) == 0);
  using testing::ask;
  CHECK(ask(*l.snap, "1.0.0.10.bl").rrs == Rrs{"A 127.0.0.3 2100", "TXT \"ten 10.0.0.1\" 2100"});
  CHECK_FALSE(ask(*l.snap, "1.0.1.10.bl").found);
  CHECK(ask(*l.snap, "2.2.1.10.bl").rrs == Rrs{"A 127.0.0.4 2100", "TXT \"net\" 2100"});
  CHECK_FALSE(ask(*l.snap, "3.2.1.10.bl").found);
  CHECK(ask(*l.snap, "4.2.1.10.bl").rrs == Rrs{"A 127.0.0.6 2100", "TXT \"host\" 2100"});
  CHECK_FALSE(ask(*l.snap, "5.2.1.10.bl").found);
  CHECK(ask(*l.snap, "1.1.1.1.bl").rrs == kListed);
  CHECK_FALSE(ask(*l.snap, "2.1.1.2.bl").found);
  // Empty non-terminals (our RFC 8020 difference; rbldnsd says NXDOMAIN).
  CHECK(ask(*l.snap, "2.1.10.bl").found);
  CHECK(ask(*l.snap, "2.1.10.bl").rrs.empty());
  CHECK(ask(*l.snap, "1.bl").found);
  CHECK_FALSE(ask(*l.snap, "2.bl").found);
}

TEST_CASE("ip4trie load: address forms", "[ip4trie_load]") {
  check_ip_rows("ip4trie",
                {
                    {"0/0 :9:all", {{"1.1.1.1", true, {"A 127.0.0.9 2100", "TXT \"all\" 2100"}}}, kNone},
                    {"1.2.3", {{"9.3.2.1", true, kListed}, {"9.4.2.1", false, {}}}, kNone},
                    {"127.16/12", {{"1.1.17.127", true, kListed}, {"1.1.32.127", false, {}}}, kNone},
                    {"1", {}, w("file f(1): invalid address")},
                    {"1.2.3.4-5", {}, w("file f(1): invalid address")},
                    {"2.0.0.1/8", {}, w("file f(1): invalid range (non-zero host part)")},
                    {"127.0.0.2/33", {}, w("file f(1): invalid address")},
                    {"1.2.3.4x", {}, w("file f(1): invalid address")},
                    {"1.2.3.4:3:x", {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"x\" 2100"}}}, kNone},
                    {"! 1.2.3.4\n1.2.3.0/24", {{"4.3.2.1", false, {}}, {"5.3.2.1", true, kListed}}, kNone},
                });
  LoadOptions e;
  e.accept_host_bits = true;
  check_ip_rows("ip4trie", {{"2.0.0.1/8", {{"9.9.9.2", true, kListed}}, kNone}}, e);
}

TEST_CASE("ip4trie load: defaults last to the end of the file, and $MAXRANGE4", "[ip4trie_load]") {
  IpLoaded l =
      load_ip("ip4trie", {{"a", ":3:d1\n1.2.3.4\n!0/0\n"}, {"b", "1.2.3.5\n1.2.3.6:4:x\n1.2.3.7 :5\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings.empty());
  using testing::ask;
  CHECK(ask(*l.snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.3 2100", "TXT \"d1\" 2100"});
  CHECK(ask(*l.snap, "5.3.2.1.bl").rrs == kListed);
  CHECK(ask(*l.snap, "6.3.2.1.bl").rrs == Rrs{"A 127.0.0.4 2100", "TXT \"x\" 2100"});
  CHECK(ask(*l.snap, "7.3.2.1.bl").rrs == Rrs{"A 127.0.0.5 2100"});
  CHECK_FALSE(ask(*l.snap, "8.3.2.1.bl").found);
  check_ip_rows("ip4trie", {{"$MAXRANGE4 256\n1.2.0.0/23\n1.2.3.0/24\n1.2",
                             {{"1.3.2.1", true, kListed}, {"1.1.2.1", false, {}}},
                             {"file f(2): too large range (512) ignored (256 max)",
                              "file f(4): too large range (65536) ignored (256 max)"}}});
}

}  // namespace
}  // namespace fastrbl::loader
