// Data-file tests for the generic type. Expected answers, warnings, fatal lines and the
// e=N counter were checked against Debian's rbldnsd 1.0~20210120 on loopback (except the
// RFC 8020 rows, our deliberate difference: rbldnsd answers NXDOMAIN there).

#include "core/dns.h"
#include "loader/load.h"
#include "tests/loader/loader_test_util.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace fastrbl::loader {
namespace {

using testing::LogCapture;
using testing::Rrs;
using testing::ScopedChdir;
using testing::TempDir;
using Lines = std::vector<std::string>;

using Loaded = testing::LoadedZone;

Loaded load(const std::string& content, LoadOptions opts = {}) {
  return testing::load_files("bl", "generic", {{"f", content}}, opts);
}

testing::Answer ask(const Loaded& l, const std::string& name, std::uint16_t qtype = core::rrtype::kANY) {
  return testing::ask(*l.snap, name.empty() ? "bl" : name + ".bl", qtype);
}

constexpr const char* kData = R"($TTL 300
@ A 127.0.0.9
@ TXT "apex text"
@ MX 10 mx.bl.ex.
ns1 A 10.0.0.1
ns1 A 10.0.0.2
ns1 A 10.0.0.3
www 3000 A 127.0.0.8
www A 2
www IN TXT "say "hi" there
q1 TXT "unbalanced
q2 TXT unbalanced"
q3 TXT   plain text ; with semicolon $ no subst
zero 0 A 1.2.3.4
$TTL 100
late A 1.1.1.1
Upper 50 in a 5.6.7.8
bad AAAA ::1
bad2 CNAME x
m MX 5 a.ex
m MX 6 b.ex.
m MX 70000 c.ex
two words A 1.2.3.4
a.b.deep A 1.2.3.4
num A 1.2.3.4junk
one TXT "
empty TXT ""
aa A 0
ac A 1.2
tt IN IN A 1.1.1.1
tu 5 5 A 1.1.1.1
u InA 1.1.1.1
*.wild A 1.1.1.1
y TXT $1 $
)";

TEST_CASE("generic load: records, TTLs and invalid lines", "[generic_load]") {
  LoadOptions opts;
  opts.min_ttl = 60;
  opts.max_ttl = 2500;
  Loaded l = load(kData, opts);
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings ==
        Lines{"file f(18): invalid/unrecognized entry", "file f(19): invalid/unrecognized entry",
              "file f(22): invalid/unrecognized entry", "file f(23): invalid/unrecognized entry",
              "file f(30): invalid/unrecognized entry", "generic:f: 2 more warnings suppressed"});
  REQUIRE(l.info.size() == 1);
  CHECK(l.info[0] == "generic:f: 20231114 221320: e=25");
  CHECK(ask(l, "").rrs == Rrs{"A 127.0.0.9 300", "TXT \"apex text\" 300", "type15 300"});
  CHECK(ask(l, "", core::rrtype::kA).rrs == Rrs{"A 127.0.0.9 300"});
  CHECK(ask(l, "ns1").rrs == Rrs{"A 10.0.0.1 300", "A 10.0.0.2 300", "A 10.0.0.3 300"});
  // 3000 is clamped to 2500, then the lower TTL of the RRset wins.
  CHECK(ask(l, "www").rrs == Rrs{"A 0.0.0.2 300", "A 127.0.0.8 300", "TXT \"\"say \"hi\" there\" 300"});
  CHECK(ask(l, "www", core::rrtype::kMX).found);
  CHECK(ask(l, "www", core::rrtype::kMX).rrs.empty());
  CHECK(ask(l, "q1").rrs == Rrs{"TXT \"\"unbalanced\" 300"});
  CHECK(ask(l, "q2").rrs == Rrs{"TXT \"unbalanced\"\" 300"});
  CHECK(ask(l, "q3").rrs == Rrs{"TXT \"plain text ; with semicolon $ no subst\" 300"});
  CHECK(ask(l, "zero").rrs == Rrs{"A 1.2.3.4 300"});  // 0: the $TTL in force on the line
  CHECK(ask(l, "late").rrs == Rrs{"A 1.1.1.1 100"});
  CHECK(ask(l, "upper").rrs == Rrs{"A 5.6.7.8 60"});  // raised to the -t minimum
  CHECK(ask(l, "m").rrs == Rrs{"type15 100", "type15 100"});
  CHECK_FALSE(ask(l, "two").found);
  CHECK(ask(l, "a.b.deep").rrs == Rrs{"A 1.2.3.4 100"});
  CHECK(ask(l, "num").rrs == Rrs{"A 1.2.3.4 100"});
  CHECK(ask(l, "one").rrs == Rrs{"TXT \"\"\" 100"});
  CHECK(ask(l, "empty").rrs == Rrs{"TXT \"\" 100"});
  CHECK(ask(l, "aa").rrs == Rrs{"A 0.0.0.0 100"});
  CHECK(ask(l, "ac").rrs == Rrs{"A 1.0.0.2 100"});
  CHECK(ask(l, "*.wild").rrs == Rrs{"A 1.1.1.1 100"});
  CHECK_FALSE(ask(l, "x.wild").found);
  CHECK(ask(l, "y").rrs == Rrs{"TXT \"$1 $\" 100"});
  CHECK_FALSE(ask(l, "bad").found);
  CHECK_FALSE(ask(l, "nope").found);
  // RFC 8020: ancestors of names exist (rbldnsd: NXDOMAIN).
  CHECK(ask(l, "b.deep").found);
  CHECK(ask(l, "b.deep").rrs.empty());
  CHECK(ask(l, "deep").found);
}

TEST_CASE("generic load: lines that abort the load, as in rbldnsd", "[generic_load]") {
  for (const char* line :
       {"nottl 1x A 1.2.3.4", "mxn MX 10", "w MX 1 mx.x. junk", "x 4294967296 A 1.1.1.1"}) {
    INFO(line);
    Loaded l = load(std::string("ok A 1.2.3.4\n") + line + "\n");
    CHECK_FALSE(l.error.is_ok());
    CHECK(l.error.message() == "file f(2): invalid/unrecognized entry");
  }
}

TEST_CASE("generic load: long TXT is cut to 255 bytes", "[generic_load]") {
  Loaded l = load("long TXT " + std::string(300, 'x') + "\n");
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings == Lines{"file f(1): TXT RR truncated to 255 bytes"});
}

}  // namespace
}  // namespace fastrbl::loader
