// Data-file tests for the ip4tset type, table-driven. Expected answers, warnings and the
// `cnt=` info line were checked against Debian's rbldnsd 1.0~20210120 on loopback.

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

TEST_CASE("ip4tset load: full addresses only", "[ip4tset_load]") {
  check_ip_rows("ip4tset", {
                               {"1.2.3.4", {{"4.3.2.1", true, kListed}, {"5.3.2.1", false, {}}}, kNone},
                               {"001.002.003.005", {{"5.3.2.1", true, kListed}}, kNone},
                               {"0.0.0.0\n255.255.255.255",
                                {{"0.0.0.0", true, kListed}, {"255.255.255.255", true, kListed}},
                                kNone},
                               {"1.2.3", {{"0.3.2.1", false, {}}}, w("file f(1): invalid address")},
                               {"1.2", {}, w("file f(1): invalid address")},
                               {"1", {}, w("file f(1): invalid address")},
                               {"1.2.3.4/32", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
                               {"1.2.3.4-5", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
                               {"!1.2.3.4", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
                               {"1.2.3.6x", {}, w("file f(1): invalid address")},
                               {"1.2.3.7.", {}, w("file f(1): invalid address")},
                               {"1.2.3.4.5", {}, w("file f(1): invalid address")},
                               {"256.1.1.1", {}, w("file f(1): invalid address")},
                               {"1.2.3.8/", {}, w("file f(1): invalid address")},
                           });
}

TEST_CASE("ip4tset load: text after the address is ignored", "[ip4tset_load]") {
  check_ip_rows("ip4tset",
                {
                    {"1.2.3.4 some text\n1.2.3.5:4:x\n1.2.3.6 :5:y\n1.2.3.7;c\n1.2.3.8#c\n1.2.3.9 :bad:\n "
                     "1.2.3.10\n1.2.3.11\t:x",
                     {{"4.3.2.1", true, kListed},
                      {"5.3.2.1", true, kListed},
                      {"6.3.2.1", true, kListed},
                      {"7.3.2.1", true, kListed},
                      {"8.3.2.1", true, kListed},
                      {"9.3.2.1", true, kListed},
                      {"10.3.2.1", true, kListed},
                      {"11.3.2.1", true, kListed}},
                     kNone},
                });
}

TEST_CASE("ip4tset load: the first valid `:` line of the dataset is every entry's value", "[ip4tset_load]") {
  check_ip_rows(
      "ip4tset",
      {
          {":3:hello $\n1.2.3.4\n:6:later",
           {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"hello 1.2.3.4\" 2100"}}},
           kNone},
          {"1.2.3.4\n:7", {{"4.3.2.1", true, {"A 127.0.0.7 2100"}}}, kNone},
          {":bad\n:3\n:4:second\n1.2.3.4",
           {{"4.3.2.1", true, {"A 127.0.0.3 2100"}}},
           w("file f(1): invalid A RR")},
          {":3 junk\n:0:\n1.2.3.4",
           {{"4.3.2.1", true, kListed}},
           {"file f(1): unrecognized value for an entry", "file f(2): invalid A RR"}},
          {"$TTL 60\n1.2.3.4\n:7:a\n$TTL 70", {{"4.3.2.1", true, {"A 127.0.0.7 70", "TXT \"a\" 70"}}}, kNone},
      });
  // Across files: the first `:` line anywhere in the dataset.
  IpLoaded l = load_ip("ip4tset", {{"a", "1.2.3.4\n"}, {"b", ":4:second\n1.2.3.5\n"}, {"c", ":5:third\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(testing::ask(*l.snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.4 2100", "TXT \"second\" 2100"});
  CHECK(testing::ask(*l.snap, "5.3.2.1.bl").rrs == Rrs{"A 127.0.0.4 2100", "TXT \"second\" 2100"});
}

TEST_CASE("ip4tset load: duplicates are merged in cnt= and empty non-terminals", "[ip4tset_load]") {
  IpLoaded l = load_ip("ip4tset", {{"f", "1.2.3.4\n10.0.0.1\n10.0.0.1\n1.2.3.4\nbad\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings == Lines{"file f(5): invalid address"});
  CHECK(l.info == Lines{"ip4tset:f: 20231114 221320: cnt=2"});
  testing::Answer ent = testing::ask(*l.snap, "3.2.1.bl");
  CHECK(ent.found);
  CHECK(ent.rrs.empty());
  CHECK(testing::ask(*l.snap, "10.bl").found);
  CHECK_FALSE(testing::ask(*l.snap, "4.2.1.bl").found);
  CHECK_FALSE(testing::ask(*l.snap, "bl").found);
  CHECK(load_ip("ip4tset", {{"f", ""}}).info == Lines{"ip4tset:f: 20231114 221320: cnt=0"});
}

}  // namespace
}  // namespace fastrbl::loader
