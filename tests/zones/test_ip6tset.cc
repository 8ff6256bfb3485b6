// Tests for zones::Ip6TSet: /64 listings with /128 exclusions, one shared value, empty
// non-terminals by nibble prefix, statistics and the no-allocation contract of query().

#include "ip_test_util.h"
#include "zones/ip6tset.h"

#include <catch2/catch.hpp>

namespace fastrbl::zones {
namespace {

using testing::ip6;
using testing::ip6_prefix_key;
using testing::ip6_qkey;
using testing::QResult;
using testing::Rrs;
using testing::run;

std::unique_ptr<Ip6TSet> make() {
  Ip6TSetBuilder b;
  CHECK(b.set_value({127, 0, 0, 3}, "six $"));
  CHECK_FALSE(b.set_value({127, 0, 0, 4}, "second"));
  b.add(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 0})).hi);
  b.add(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 0})).hi);
  b.add(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 0})).hi);
  b.exclude(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 2})));
  b.exclude(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 2})));
  b.exclude(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 5})));
  b.exclude(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 4})));
  for (unsigned i = 0x10; i < 0x20; ++i)
    b.exclude(zones::ip6_key(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, i})));
  DatasetMeta meta;
  meta.ttl = 2100;
  return b.build(std::move(meta));
}

TEST_CASE("ip6tset: listed /64 minus excluded /128s", "[ip6tset]") {
  auto s = make();
  CHECK(s->stats() == "cnt=2 exl=19");
  CHECK(s->entries() == 21);
  CHECK(s->flags() == kWantsIp6);
  CHECK(run(*s, ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 1}))).rrs ==
        Rrs{"A 127.0.0.3 2100", "TXT six 2001:20fe:23:41ed::1 2100"});
  CHECK(run(*s, ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0xffff, 1})), core::rrtype::kTXT).rrs ==
        Rrs{"TXT six 2001:20fe:23:41ed::ffff:1 2100"});
  CHECK_FALSE(run(*s, ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 2}))).found);
  CHECK_FALSE(run(*s, ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 5}))).found);
  CHECK(run(*s, ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 6}))).found);
  CHECK_FALSE(run(*s, ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ef, 0, 0, 0, 1}))).found);
}

TEST_CASE("ip6tset: empty non-terminals (RFC 8020)", "[ip6tset]") {
  auto s = make();
  const auto a = ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 6});
  for (std::uint8_t n = 1; n <= 31; ++n) {
    INFO(int(n));
    QResult r = run(*s, ip6_prefix_key(a, n));
    CHECK(r.found);
    CHECK(r.rrs.empty());
  }
  CHECK_FALSE(run(*s, ip6_prefix_key(ip6({0x2001, 0x20fe, 0x23, 0x41ef, 0, 0, 0, 0}), 16)).found);
  CHECK_FALSE(run(*s, ip6_prefix_key(ip6({0x2002, 0, 0, 0, 0, 0, 0, 0}), 4)).found);
  // Every address of 2001:20fe:23:41ee::10/124 is excluded; ::0/124 has ::4 and ::5 only.
  CHECK_FALSE(run(*s, ip6_prefix_key(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 0x10}), 31)).found);
  CHECK(run(*s, ip6_prefix_key(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 0x20}), 30)).found);
  CHECK(run(*s, ip6_prefix_key(ip6({0x2001, 0x20fe, 0x23, 0x41ee, 0, 0, 0, 4}), 31)).found);
  CHECK_FALSE(run(*s, QueryKey{}).found);
}

TEST_CASE("ip6tset: query() does not allocate", "[ip6tset]") {
  auto s = make();
  long total = 0;
  for (const QueryKey& k : {ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 1})),
                            ip6_qkey(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 2})),
                            ip6_prefix_key(ip6({0x2001, 0x20fe, 0x23, 0x41ed, 0, 0, 0, 0}), 20)}) {
    long n = 0;
    run(*s, k, core::rrtype::kANY, &n);
    total += n;
  }
  CHECK(total == 0);
  CHECK(s->memory_bytes() >= 2 * 8 + 3 * 16);
}

}  // namespace
}  // namespace fastrbl::zones
