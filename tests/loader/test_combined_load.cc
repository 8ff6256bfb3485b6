// Data-file tests for the combined type. Expected answers, messages and counters were
// checked against Debian's rbldnsd 1.0~20210120 on loopback (except the RFC 8020 rows,
// our deliberate difference).

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

Loaded load(const std::string& content) { return testing::load_files("bl.ex", "combined", {{"f", content}}); }

constexpr const char* kData = R"($NS 1w ns1.bl.ex ns2.ex.com
$SOA 1w ns1.ex.com admin.ex.com 0 2h 2h 1w 1h
$TTL 600
$1 common
$DATASET ip4set:proxy proxies @
:2:Open proxy $ $1
$1 subset
127.0.0.2
$DATASET generic:common proxies relays @
$TTL 120
www A 127.0.0.8
ns1 A 10.1.1.1
$DATASET dnset sub.dom
x.com :5:dn $
$DATASET ip4set empty.zone
)";

TEST_CASE("combined load: subzones, TTLs, variables", "[combined_load]") {
  Loaded l = load(kData);
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings.empty());
  CHECK(l.info == Lines{"combined:f:ip4set:proxy: e32/24/16/8=1/0/0/0", "combined:f:generic:common: e=2",
                        "combined:f:dnset: e/w=1/0", "combined:f:ip4set: e32/24/16/8=0/0/0/0",
                        "combined:f: 20231114 221320: subzones=5 datasets=4"});
  const zones::Snapshot& s = *l.snap;
  const Rrs proxy = {"A 127.0.0.2 600", "TXT \"Open proxy 127.0.0.2 common\" 600"};
  CHECK(testing::ask(s, "2.0.0.127.bl.ex").rrs == proxy);
  CHECK(testing::ask(s, "2.0.0.127.proxies.bl.ex").rrs == proxy);
  CHECK_FALSE(testing::ask(s, "2.0.0.127.relays.bl.ex").found);
  CHECK(testing::ask(s, "www.bl.ex").rrs == Rrs{"A 127.0.0.8 120"});
  CHECK(testing::ask(s, "www.proxies.bl.ex").rrs == Rrs{"A 127.0.0.8 120"});
  CHECK(testing::ask(s, "www.relays.bl.ex").rrs == Rrs{"A 127.0.0.8 120"});
  CHECK(testing::ask(s, "x.com.sub.dom.bl.ex").rrs == Rrs{"A 127.0.0.5 600", "TXT \"dn x.com\" 600"});
  CHECK(testing::ask(s, "ns1.bl.ex").rrs == Rrs{"A 10.1.1.1 120"});
  // A subzone's own apex always exists.
  for (const char* n : {"proxies.bl.ex", "relays.bl.ex", "sub.dom.bl.ex", "empty.zone.bl.ex"}) {
    INFO(n);
    CHECK(testing::ask(s, n).found);
    CHECK(testing::ask(s, n).rrs.empty());
  }
  CHECK_FALSE(testing::ask(s, "1.empty.zone.bl.ex").found);
  CHECK_FALSE(testing::ask(s, "nope.bl.ex").found);
  // RFC 8020: an ancestor of a subzone exists (rbldnsd: NXDOMAIN).
  CHECK(testing::ask(s, "dom.bl.ex").found);
  CHECK(testing::ask(s, "dom.bl.ex").rrs.empty());
  CHECK(testing::ask(s, "zone.bl.ex").found);
  // SOA/NS belong to the command-line zone; glue comes from the generic subset.
  REQUIRE(s.zones().size() == 1);
  CHECK(s.zones()[0].soa.has_value());
  CHECK(s.zones()[0].ns.size() == 2);
  REQUIRE(s.zones()[0].glue.size() == 1);
  CHECK(s.zones()[0].glue[0].a == std::array<std::uint8_t, 4>{10, 1, 1, 1});
  CHECK(s.zones()[0].glue[0].ttl == 120);
  CHECK((s.zones()[0].flags & zones::kWantsIp4) != 0);
  CHECK((s.zones()[0].flags & zones::kWantsName) != 0);
}

TEST_CASE("combined load: fatal lines and warnings", "[combined_load]") {
  struct Row {
    std::string data, error;
  };
  for (const Row& r : std::vector<Row>{
           {"$DATASET foo x\n1.2.3.4\n", "file f(1): unknown dataset type `foo'"},
           {"$DATASET combined x\n", "file f(1): dataset type `combined' cannot be used inside `combined'"},
           {"$DATASET acl x\n", "file f(1): dataset type `acl' cannot be used inside `combined'"},
           {"1.2.3.4\n", "file f(1): invalid/unrecognized entry - specify $DATASET line"},
       }) {
    INFO(r.data);
    Loaded l = load(r.data);
    REQUIRE_FALSE(l.error.is_ok());
    CHECK(l.error.message() == r.error);
  }
  Loaded l = load(
      "$DATASET ip4set\n1.2.3.4\n$DATASET generic:averyveryverylongnameforthesubset x #c\nwww A 1.2.3.4\n"
      "$DATASET dnset x ;c y\n");
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings == Lines{"file f(1): no subzone(s) specified for dataset, data will be ignored"});
  CHECK(l.info == Lines{"combined:f:ip4set: e32/24/16/8=1/0/0/0",
                        "combined:f:generic:averyveryverylongnam: e=1", "combined:f:dnset: e/w=0/0",
                        "combined:f: 20231114 221320: subzones=1 datasets=3"});
  CHECK_FALSE(testing::ask(*l.snap, "4.3.2.1.bl.ex").found);
  CHECK(testing::ask(*l.snap, "www.x.bl.ex").found);
  CHECK_FALSE(testing::ask(*l.snap, "www.y.bl.ex").found);
}

}  // namespace
}  // namespace fastrbl::loader
