// Tests for zones::Ip4TSet: one shared value, duplicates merged, empty non-terminals,
// statistics and the no-allocation contract of query().

#include "ip_test_util.h"
#include "zones/ip4tset.h"

#include <catch2/catch.hpp>

namespace fastrbl::zones {
namespace {

using testing::ip;
using testing::ip4_key;
using testing::ip4_prefix_key;
using testing::QResult;
using testing::Rrs;
using testing::run;

std::unique_ptr<Ip4TSet> make(const std::vector<std::uint32_t>& addrs, std::uint8_t a4 = 2,
                              std::string txt = "") {
  Ip4TSetBuilder b;
  for (std::uint32_t a : addrs) b.add(a);
  if (a4 != 2 || !txt.empty()) CHECK(b.set_value({127, 0, 0, a4}, txt));
  DatasetMeta meta;
  meta.ttl = 300;
  return b.build(std::move(meta));
}

TEST_CASE("ip4tset: listed addresses share the value and others are not found", "[ip4tset]") {
  auto set = make({ip(1, 2, 3, 4), ip(10, 0, 0, 1), ip(1, 2, 3, 4), ip(0, 0, 0, 0), ip(255, 255, 255, 255)},
                  3, "listed $");
  CHECK(set->entries() == 4);
  CHECK(set->stats() == "cnt=4");
  CHECK(set->flags() == kWantsIp4);
  CHECK(run(*set, ip4_key(ip(1, 2, 3, 4))).rrs == Rrs{"A 127.0.0.3 300", "TXT listed 1.2.3.4 300"});
  CHECK(run(*set, ip4_key(ip(10, 0, 0, 1)), core::rrtype::kA).rrs == Rrs{"A 127.0.0.3 300"});
  CHECK(run(*set, ip4_key(0)).found);
  CHECK(run(*set, ip4_key(0xffffffffu)).found);
  CHECK_FALSE(run(*set, ip4_key(ip(1, 2, 3, 5))).found);
  QResult mx = run(*set, ip4_key(ip(1, 2, 3, 4)), core::rrtype::kMX);
  CHECK(mx.found);
  CHECK(mx.rrs.empty());
}

TEST_CASE("ip4tset: the first value wins and the default is 127.0.0.2 without TXT", "[ip4tset]") {
  Ip4TSetBuilder b;
  CHECK(b.set_value({127, 0, 0, 5}, "first"));
  CHECK_FALSE(b.set_value({127, 0, 0, 6}, "second"));
  b.add(ip(1, 1, 1, 1));
  DatasetMeta meta;
  meta.ttl = 1;
  auto set = b.build(std::move(meta));
  CHECK(run(*set, ip4_key(ip(1, 1, 1, 1))).rrs == Rrs{"A 127.0.0.5 1", "TXT first 1"});
  CHECK(run(*make({ip(1, 1, 1, 1)}), ip4_key(ip(1, 1, 1, 1))).rrs == Rrs{"A 127.0.0.2 300"});
}

TEST_CASE("ip4tset: empty non-terminals (RFC 8020) and the apex", "[ip4tset]") {
  auto set = make({ip(127, 0, 0, 2), ip(200, 1, 2, 3)});
  CHECK(run(*set, ip4_prefix_key(ip(127, 0, 0, 0), 3)).found);
  CHECK(run(*set, ip4_prefix_key(ip(127, 0, 0, 0), 1)).found);
  CHECK(run(*set, ip4_prefix_key(ip(200, 1, 0, 0), 2)).found);
  CHECK(run(*set, ip4_prefix_key(ip(200, 1, 0, 0), 2)).rrs.empty());
  CHECK_FALSE(run(*set, ip4_prefix_key(ip(127, 0, 1, 0), 3)).found);
  CHECK_FALSE(run(*set, ip4_prefix_key(ip(201, 0, 0, 0), 1)).found);
  CHECK_FALSE(run(*set, QueryKey{}).found);
  CHECK_FALSE(run(*make({}), ip4_prefix_key(ip(1, 0, 0, 0), 1)).found);
}

TEST_CASE("ip4tset: query() does not allocate and memory is 4 bytes per entry", "[ip4tset]") {
  std::vector<std::uint32_t> addrs;
  for (std::uint32_t i = 0; i < 10000; ++i) addrs.push_back(ip(10, 0, 0, 0) + 7 * i);
  auto set = make(addrs, 4, "Listed $");
  long total = 0;
  for (const QueryKey& k :
       {ip4_key(ip(10, 0, 0, 7)), ip4_key(ip(10, 0, 0, 8)), ip4_prefix_key(ip(10, 0, 0, 0), 2)}) {
    long n = 0;
    run(*set, k, core::rrtype::kANY, &n);
    total += n;
  }
  CHECK(total == 0);
  CHECK(set->memory_bytes() >= 10000 * 4);
  CHECK(set->memory_bytes() < 10000 * 4 + 70000);
}

}  // namespace
}  // namespace fastrbl::zones
