// Tests for zones::Combined: subzone selection (most specific first), reverse-IP names
// parsed relative to the subzone, subzone apexes, RFC 8020 ancestors of subzones, the
// union of flags, no allocation in query().

#include "names_test_util.h"
#include "zones/combined.h"
#include "zones/dnset.h"
#include "zones/ip4set.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace fastrbl::zones {
namespace {

using testing::run;
using Rrs = std::vector<std::string>;

std::vector<std::uint8_t> key(std::string_view text) {
  core::Name s;
  auto w = testing::wire(text, s);
  return {w.begin(), w.end()};
}

std::unique_ptr<Combined> make() {
  Ip4SetBuilder ib;
  ib.add(0x7f000002, 0x7f000002, ib.add_value({127, 0, 0, 4}, ""));
  DatasetMeta im;
  im.ttl = 600;
  std::shared_ptr<const Dataset> ip = ib.build(std::move(im));
  DnSetBuilder db;
  core::Name s;
  db.add(testing::wire("x.com", s), true, false, db.default_instance());
  DatasetMeta dm;
  dm.ttl = 120;
  std::shared_ptr<const Dataset> dn = db.build(std::move(dm));

  std::vector<Combined::Subzone> subs(3);
  subs[0].name = {};  // @
  subs[0].datasets = {ip, dn};
  subs[1].name = key("proxies");
  subs[1].labels = 1;
  subs[1].datasets = {ip};
  subs[2].name = key("sub.dom");
  subs[2].labels = 2;
  subs[2].datasets = {dn};
  DatasetMeta meta;
  meta.type = "combined";
  return std::make_unique<Combined>(std::move(meta), std::move(subs), 2, StringPool());
}

TEST_CASE("combined: subzones and nested datasets", "[combined]") {
  auto c = make();
  CHECK(c->flags() == (kWantsIp4 | kWantsName));
  CHECK(run(*c, "2.0.0.127", core::rrtype::kA).rrs == Rrs{"A 127.0.0.4 600"});
  CHECK(run(*c, "2.0.0.127.proxies", core::rrtype::kA).rrs == Rrs{"A 127.0.0.4 600"});
  CHECK(run(*c, "x.com").rrs == Rrs{"A 127.0.0.2 120"});
  CHECK(run(*c, "x.com.sub.dom").rrs == Rrs{"A 127.0.0.2 120"});
  CHECK_FALSE(run(*c, "x.com.proxies").found);
  CHECK_FALSE(run(*c, "2.0.0.127.sub.dom").found);
  for (const char* n : {"proxies", "sub.dom", "dom", "0.0.127.proxies"}) {
    INFO(n);
    auto r = run(*c, n);
    CHECK(r.found);
    CHECK(r.rrs.empty());
  }
  CHECK_FALSE(run(*c, "q.dom").found);
  CHECK(c->stats_text() == "subzones=3 datasets=2");
}

TEST_CASE("combined: query() does not allocate", "[combined]") {
  auto c = make();
  for (const char* n : {"2.0.0.127", "2.0.0.127.proxies", "x.com.sub.dom", "dom", "nothing", ""})
    CHECK(run(*c, n).allocations == 0);
}

}  // namespace
}  // namespace fastrbl::zones
