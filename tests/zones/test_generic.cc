// Tests for zones::Generic: records per name and type, NODATA, ANY, rotation of several
// records of one type, RFC 8020 ancestors, no allocation in query().

#include "names_test_util.h"
#include "zones/generic.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace fastrbl::zones {
namespace {

using testing::run;
using Rrs = std::vector<std::string>;

std::unique_ptr<Generic> make() {
  GenericBuilder b;
  core::Name s;
  b.add_a(testing::wire("", s), 300, {127, 0, 0, 9});
  b.add_txt(testing::wire("", s), 300, "apex");
  b.add_mx(testing::wire("", s), 300, 10, core::Name::from_text("mx.ex").value());
  b.add_a(testing::wire("ns1", s), 100, {10, 0, 0, 1});
  b.add_a(testing::wire("ns1", s), 100, {10, 0, 0, 2});
  b.add_a(testing::wire("ns1", s), 100, {10, 0, 0, 3});
  b.add_txt(testing::wire("t.a.deep", s), 50, "");
  DatasetMeta meta;
  meta.type = "generic";
  return b.build(std::move(meta));
}

TEST_CASE("generic: types, ANY in A/MX/TXT order, NODATA", "[generic]") {
  auto g = make();
  CHECK(run(*g, "").rrs == Rrs{"A 127.0.0.9 300", "MX 10 300", "TXT apex 300"});
  CHECK(run(*g, "", core::rrtype::kTXT).rrs == Rrs{"TXT apex 300"});
  CHECK(run(*g, "", core::rrtype::kMX).rrs == Rrs{"MX 10 300"});
  auto nodata = run(*g, "ns1", core::rrtype::kTXT);
  CHECK(nodata.found);
  CHECK(nodata.rrs.empty());
  CHECK(run(*g, "ns1", 28).found);  // AAAA: NODATA
  CHECK(run(*g, "t.a.deep").rrs == Rrs{"TXT  50"});
  CHECK_FALSE(run(*g, "nope").found);
  CHECK(g->entries() == 7);
  CHECK(g->stats_text() == "e=7");
}

TEST_CASE("generic: MX records get the lowest TTL of the set, duplicates once", "[generic]") {
  // As rbldnsd: all records of one type share the lowest TTL, and an identical record
  // (same preference and exchange) is written once.
  GenericBuilder b;
  core::Name s;
  b.add_mx(testing::wire("m", s), 604800, 20, core::Name::from_text("mx2.ex").value());
  b.add_mx(testing::wire("m", s), 3600, 0, core::Name::from_text("mx0.ex").value());
  b.add_mx(testing::wire("m", s), 60, 0, core::Name::from_text("mx1.ex").value());
  b.add_mx(testing::wire("m", s), 300, 20, core::Name::from_text("mx2.ex").value());
  DatasetMeta meta;
  meta.type = "generic";
  auto g = b.build(std::move(meta));
  struct Row {
    std::uint16_t qtype;
    Rrs want;
  };
  const std::vector<Row> rows = {
      {core::rrtype::kMX, {"MX 0 60", "MX 0 60", "MX 20 60"}},
      {core::rrtype::kANY, {"MX 0 60", "MX 0 60", "MX 20 60"}},
  };
  for (const Row& r : rows) {
    for (int i = 0; i < 4; ++i) {  // every rotation
      auto got = run(*g, "m", r.qtype).rrs;
      std::sort(got.begin(), got.end());
      CHECK(got == r.want);
    }
  }
}

TEST_CASE("generic: several records of one type rotate their start", "[generic]") {
  auto g = make();
  std::set<std::string> firsts;
  for (int i = 0; i < 6; ++i) {
    auto r = run(*g, "ns1", core::rrtype::kA);
    REQUIRE(r.rrs.size() == 3);
    CHECK(std::set<std::string>(r.rrs.begin(), r.rrs.end()).size() == 3);
    firsts.insert(r.rrs[0]);
  }
  CHECK(firsts.size() == 3);
}

TEST_CASE("generic: ancestors of names exist without records (RFC 8020)", "[generic]") {
  auto g = make();
  for (const char* n : {"a.deep", "deep"}) {
    INFO(n);
    auto r = run(*g, n);
    CHECK(r.found);
    CHECK(r.rrs.empty());
  }
  CHECK_FALSE(run(*g, "x.t.a.deep").found);
}

TEST_CASE("generic: query() does not allocate", "[generic]") {
  auto g = make();
  for (const char* n : {"", "ns1", "deep", "t.a.deep", "nope"}) CHECK(run(*g, n).allocations == 0);
}

}  // namespace
}  // namespace fastrbl::zones
