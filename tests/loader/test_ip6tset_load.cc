// Data-file tests for the ip6tset type, table-driven. Expected answers, warnings and the
// `cnt= exl=` info line were checked against Debian's rbldnsd 1.0~20210120 on loopback.

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

TEST_CASE("ip6tset load: /64 listings, /128 exclusions, one shared value", "[ip6tset_load]") {
  IpLoaded l =
      load_ip("ip6tset", {{"f",
                           ":3:six $\n2001:20fe:23:41ed\n!2001:20fe:23:41ed::2\n2001:20fe:23:41ee some text\n"
                           "2001:20fe:23::\n2001:20fe:23:41ef::/64\n2001:20fe:23\n2001:20fe:23:41f0:1\n"
                           "!2001:20fe:23:41ee\n!2001:20fe:23:41ee::/128\n!2001:20fe:23:41ee:0:0:0:5\n"
                           "2001:20fe:23:41f1:4\n:4:second\n2001:20fe:23:41ed\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings == Lines{"file f(5): invalid address for regular entry (should be 64 bits)",
                            "file f(6): invalid address",
                            "file f(7): invalid address for regular entry (should be 64 bits)",
                            "file f(8): invalid address for regular entry (should be 64 bits)",
                            "file f(9): invalid address for exclusion (should be 128 bits)",
                            "ip6tset:f: 2 more warnings suppressed"});
  CHECK(l.info == Lines{"ip6tset:f: 20231114 221320: cnt=2 exl=2"});
  const std::vector<std::pair<std::string, Rrs>> rows = {
      {"2001:20fe:23:41ed::1", {"A 127.0.0.3 2100", "TXT \"six 2001:20fe:23:41ed::1\" 2100"}},
      {"2001:20fe:23:41ed::2", {}},
      {"2001:20fe:23:41ee::5", {}},
      {"2001:20fe:23:41ee::6", {"A 127.0.0.3 2100", "TXT \"six 2001:20fe:23:41ee::6\" 2100"}},
      {"2001:20fe:23:41ef::1", {}},
      {"2001:20fe:23:41ed::ffff:1", {"A 127.0.0.3 2100", "TXT \"six 2001:20fe:23:41ed::ffff:1\" 2100"}},
  };
  for (const auto& [addr, rrs] : rows) {
    INFO(addr);
    testing::Answer a = ask(*l.snap, rev6(addr) + ".bl");
    CHECK(a.found == !rrs.empty());
    CHECK(a.rrs == rrs);
  }
  // Empty non-terminals (our RFC 8020 difference; rbldnsd says NXDOMAIN).
  CHECK(ask(*l.snap, "d.e.1.4.3.2.0.0.e.f.0.2.1.0.0.2.bl").found);
  CHECK_FALSE(ask(*l.snap, "f.e.1.4.3.2.0.0.e.f.0.2.1.0.0.2.bl").found);
}

TEST_CASE("ip6tset load: line forms", "[ip6tset_load]") {
  const std::string a = rev6("1:2:3:4::5");
  check_ip_rows(
      "ip6tset",
      {
          {"1:2:3:4\n1:2:3:4\n1:2:3:5#x\n1:2:3:6:\n!1:2:3:4::5:",
           {{a, false, {}}, {rev6("1:2:3:4::6"), true, kListed}, {rev6("1:2:3:5::"), true, kListed}},
           w("file f(4): invalid address")},
          {"!1:2:3:4::5", {{a, false, {}}, {rev6("1:2:3:4::6"), false, {}}}, kNone},
          {"!2001:20fe:23:41ee::/128\n2001:20fe:23:41f1:4\n!1::1\n!1::1\n!1::2 :3:x\n2001:20fe:23:41ee:",
           {},
           {"file f(1): invalid address", "file f(2): invalid address for regular entry (should be 64 bits)",
            "file f(6): invalid address"}},
          {"::1:2:3:4\n1:2:3:4", {{rev6("1:2:3:4::1"), true, kListed}}, w("file f(1): invalid A RR")},
          {":bad\n:7\n1:2:3:4",
           {{rev6("1:2:3:4::1"), true, {"A 127.0.0.7 2100"}}},
           w("file f(1): invalid A RR")},
      });
  IpLoaded g =
      load_ip("ip6tset", {{"f", "2001\n2001/16\n!2001\n1:2:3:4:5:6:7:8:9\n!1:2:3:4:5:6:7:8:9\n1:2:3:4:5\n"}});
  CHECK(g.warnings == Lines{"file f(1): invalid address for regular entry (should be 64 bits)",
                            "file f(2): invalid address",
                            "file f(3): invalid address for exclusion (should be 128 bits)",
                            "file f(4): invalid address for regular entry (should be 64 bits)",
                            "file f(6): invalid address for regular entry (should be 64 bits)"});
  CHECK(g.info == Lines{"ip6tset:f: 20231114 221320: cnt=0 exl=1"});
  IpLoaded l = load_ip("ip6tset", {{"f", "!1::1\n!1::1\n!1::2 :3:x\n"}});
  CHECK(l.info == Lines{"ip6tset:f: 20231114 221320: cnt=0 exl=2"});
}

}  // namespace
}  // namespace fastrbl::loader
