// Data-file tests for the dnset type: each row is a data file, the questions asked of it
// and the warnings it must produce. Expected answers, warnings and the e/w counters were
// checked against Debian's rbldnsd 1.0~20210120 on loopback (except the RFC 8020 rows,
// our deliberate difference: rbldnsd answers NXDOMAIN there).

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

constexpr std::time_t kNow = 1800000000;
constexpr std::time_t kMtime = 1700000000;  // 2023-11-14 22:13:20 UTC

using Loaded = testing::LoadedZone;

Loaded load(const std::string& spec_type, const std::string& content) {
  return testing::load_files("bl", spec_type, {{"f", content}});
}

struct Q {
  std::string name;  // relative to the zone
  bool found;
  Rrs rrs;
};

void check(const Loaded& l, const std::vector<Q>& qs) {
  REQUIRE(l.error.is_ok());
  for (const Q& q : qs) {
    INFO("query: " << q.name);
    testing::Answer a = testing::ask(*l.snap, q.name.empty() ? "bl" : q.name + ".bl");
    CHECK(a.found == q.found);
    CHECK(a.rrs == q.rrs);
  }
}

constexpr const char* kData = R"($TTL 300
:127.0.0.2:Listed $ here
exact.com
*.wild.com :3:Wild $
.both.com :4:Both $
!*.ex.both.com
!sub.both.com
multi.com :5:one
multi.com :6:two
multi.com :6:two
excl.com :7:x
!excl.com
special$.com
semi\;x.com
a.b.c.d.com
Mixed.COM
*.z.exact.com
)";

TEST_CASE("dnset load: exact, wildcards, exclusions, values", "[dnset_load]") {
  Loaded l = load("dnset", kData);
  CHECK(l.warnings.empty());
  REQUIRE(l.info.size() == 1);
  CHECK(l.info[0] == "dnset:f: 20231114 221320: e/w=10/4");
  check(l,
        {
            {"exact.com", true, {"A 127.0.0.2 300", "TXT \"Listed exact.com here\" 300"}},
            {"x.exact.com", false, {}},
            {"a.wild.com", true, {"A 127.0.0.3 300", "TXT \"Wild wild.com\" 300"}},
            {"a.b.wild.com", true, {"A 127.0.0.3 300", "TXT \"Wild wild.com\" 300"}},
            {"both.com", true, {"A 127.0.0.4 300", "TXT \"Both both.com\" 300"}},
            {"x.both.com", true, {"A 127.0.0.4 300", "TXT \"Both both.com\" 300"}},
            {"ex.both.com", true, {"A 127.0.0.4 300", "TXT \"Both both.com\" 300"}},
            {"y.ex.both.com", false, {}},  // the most specific wildcard is an exclusion
            {"sub.both.com", false, {}},   // an exact exclusion hides the wildcard
            {"x.sub.both.com", true, {"A 127.0.0.4 300", "TXT \"Both both.com\" 300"}},
            {"multi.com", true, {"A 127.0.0.5 300", "A 127.0.0.6 300", "TXT \"one\" 300", "TXT \"two\" 300"}},
            {"excl.com", false, {}},
            {"special\\$.com", true, {"A 127.0.0.2 300", "TXT \"Listed special\\$.com here\" 300"}},
            {"semi\\;x.com", true, {"A 127.0.0.2 300", "TXT \"Listed semi\\;x.com here\" 300"}},
            {"mixed.com", true, {"A 127.0.0.2 300", "TXT \"Listed mixed.com here\" 300"}},
            {"EXACT.com", true, {"A 127.0.0.2 300", "TXT \"Listed exact.com here\" 300"}},
            {"q.z.exact.com", true, {"A 127.0.0.2 300", "TXT \"Listed z.exact.com here\" 300"}},
            {"", false, {}},  // the apex never matches
            {"com.com", false, {}},
        });
}

TEST_CASE("dnset load: empty non-terminals are found without records (RFC 8020)", "[dnset_load]") {
  Loaded l = load("dnset", kData);
  check(l, {
               {"b.c.d.com", true, {}},
               {"c.d.com", true, {}},
               {"com", true, {}},
               {"z.exact.com", true, {}},  // the base of *.z.exact.com
               {"wild.com", true, {}},     // the base of *.wild.com
               {"x.c.d.com", false, {}},
               {"nothing.org", false, {}},
           });
}

TEST_CASE("dnset load: name forms and invalid lines", "[dnset_load]") {
  Loaded l = load("dnset",
                  "x.com#c\n!  y.com\n*.\n.\n*\n*.*.w.com\ntrail.com.\na..b.com\n*.x.com:8:t\nz.com :9:\n!\n"
                  "toolong." +
                      std::string(64, 'a') + ".com\ny.com\nesc\\065.com\n");
  CHECK(l.warnings == Lines{"file f(3): invalid domain name", "file f(4): invalid domain name",
                            "file f(11): invalid domain name", "file f(12): invalid domain name"});
  REQUIRE(l.info.size() == 1);
  CHECK(l.info[0] == "dnset:f: 20231114 221320: e/w=7/2");
  const Rrs listed = {"A 127.0.0.2 2100"};
  check(l, {
               {"x.com#c", true, listed},
               {"x.com", false, {}},  // the wildcard base is x."com:8:t"
               {"y.com", false, {}},
               {"q.w.com", false, {}},
               {"q.*.w.com", true, listed},
               {"trail.com", true, listed},
               {"a.b.com", true, listed},
               {"z.com", true, {"A 127.0.0.9 2100"}},
               {"esca.com", true, listed},
               {"*", true, listed},
               {"q.x.com:8:t", true, listed},
           });
}

TEST_CASE("dnset load: defaults last to the end of the file", "[dnset_load]") {
  TempDir dir;
  dir.write("a", ":3:first $\na.com\n", kMtime);
  dir.write("b", "b.com\n:4\nc.com\n", kMtime);
  LoadOptions opts;
  opts.now = kNow;
  LogCapture log;
  ScopedChdir cd(dir.path());
  auto snap = load_snapshot({"bl:dnset:a,b"}, opts);
  REQUIRE(snap.is_ok());
  CHECK(testing::ask(*snap.value(), "a.com.bl").rrs == Rrs{"A 127.0.0.3 2100", "TXT \"first a.com\" 2100"});
  CHECK(testing::ask(*snap.value(), "b.com.bl").rrs == Rrs{"A 127.0.0.2 2100"});
  CHECK(testing::ask(*snap.value(), "c.com.bl").rrs == Rrs{"A 127.0.0.4 2100"});
}

}  // namespace
}  // namespace fastrbl::loader
