// Data-file tests for the ip4set type, table-driven: each row is a data file, the
// questions asked of it and the warnings it must produce. Expected answers and warning
// texts were checked against Debian's rbldnsd 1.0~20210120 on loopback.

#include "loader/load.h"
#include "tests/loader/loader_test_util.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace fastrbl::loader {
namespace {

using testing::LogCapture;
using testing::Rrs;
using testing::ScopedChdir;
using testing::TempDir;
using Lines = std::vector<std::string>;

constexpr std::time_t kNow = 1800000000;  // 2027-01-15 08:00:00 UTC

using Loaded = testing::LoadedZone;

// Writes `files` (name, content) and loads them as one dataset "bl:ip4set:a,b,...".
Loaded load(const std::vector<std::pair<std::string, std::string>>& files, LoadOptions opts = {}) {
  return testing::load_files("bl", "ip4set", files, opts);
}

Loaded load1(const std::string& content, LoadOptions opts = {}) { return load({{"f", content}}, opts); }

struct Q {
  std::string name;  // relative to the zone
  bool found;
  Rrs rrs;
};

struct Case {
  std::string data;
  std::vector<Q> queries;
  Lines warnings;
};

void check_rows(const std::vector<Case>& rows, const LoadOptions& opts = {}) {
  for (const Case& r : rows) {
    Loaded l = load1(r.data, opts);
    INFO("data: " << r.data);
    REQUIRE(l.error.is_ok());
    CHECK(l.warnings == r.warnings);
    for (const Q& q : r.queries) {
      testing::Answer a = testing::ask(*l.snap, q.name + ".bl");
      INFO("query: " << q.name);
      CHECK(a.found == q.found);
      CHECK(a.rrs == q.rrs);
    }
  }
}

const Rrs kListed = {"A 127.0.0.2 2100"};
const Lines kNone;
Lines w(const std::string& s) { return {s}; }

TEST_CASE("ip4set load: address forms", "[ip4set_load]") {
  check_rows({
      {"1.2.3.4", {{"4.3.2.1", true, kListed}, {"5.3.2.1", false, {}}}, kNone},
      {"1.2.3", {{"9.3.2.1", true, kListed}, {"9.4.2.1", false, {}}}, kNone},
      {"1.2", {{"9.9.2.1", true, kListed}}, kNone},
      {"1", {{"1.1.1.1", false, {}}}, w("file f(1): invalid address")},
      {"1/8", {{"1.1.1.1", true, kListed}}, kNone},
      {"127/8", {{"1.1.1.127", true, kListed}}, kNone},
      {"127.16/12", {{"1.1.17.127", true, kListed}, {"1.1.32.127", false, {}}}, kNone},
      {"127.0.0.1-255",
       {{"0.0.0.127", false, {}}, {"1.0.0.127", true, kListed}, {"255.0.0.127", true, kListed}},
       kNone},
      {"127.16-31", {{"1.1.31.127", true, kListed}, {"1.1.32.127", false, {}}}, kNone},
      {"12.0.0.1-12.0.0.5", {{"5.0.0.12", true, kListed}, {"6.0.0.12", false, {}}}, kNone},
      {"1.2.3-4", {{"4.4.2.1", true, kListed}}, kNone},
      {"1-5", {{"1.1.1.5", true, kListed}, {"1.1.1.6", false, {}}}, kNone},
      {"0-255", {{"1.1.1.1", true, kListed}}, kNone},
      {"127-127.0.0", {{"1.0.0.127", false, {}}}, w("file f(1): invalid address")},
      {"1.2.3.5-3", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
      {"0/0", {{"1.1.1.1", false, {}}}, w("file f(1): invalid address")},
      {"1.2.3.4/33", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
      {"1.2.3.4/24", {{"4.3.2.1", false, {}}}, w("file f(1): invalid range (non-zero host part)")},
      {"1.2.3.4/32", {{"4.3.2.1", true, kListed}}, kNone},
      {"1.2.3.0/024", {{"4.3.2.1", true, kListed}}, kNone},
      {"1.2.3.4x", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
      {"1.2.3.4.", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
      {"1.2.3.", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
      {"1.2.3.4.5", {{"4.3.2.1", false, {}}}, w("file f(1): invalid address")},
      {"256.1.1.1", {}, w("file f(1): invalid address")},
      {"a.b.c.d", {}, w("file f(1): invalid address")},
      {"1.2.3.4-", {}, w("file f(1): invalid address")},
      {"1.2.3.4/", {}, w("file f(1): invalid address")},
      {"1.2.3.4#c", {{"4.3.2.1", true, kListed}}, kNone},
      {"1.2.3.4;c", {{"4.3.2.1", true, kListed}}, kNone},
      {"001.002.003.004", {{"4.3.2.1", true, kListed}}, kNone},
      {"!1.2.3.4", {{"4.3.2.1", false, {}}}, kNone},
      {"!  1.2.3.4", {{"4.3.2.1", false, {}}}, kNone},
      {"! 1.2.3.4 :bad", {{"4.3.2.1", false, {}}}, kNone},  // an exclusion's value is ignored
      {"!", {}, w("file f(1): invalid address")},
      {"!!1.2.3.4", {}, w("file f(1): invalid address")},
  });
}

TEST_CASE("ip4set load: -e masks the host part", "[ip4set_load]") {
  LoadOptions opts;
  opts.accept_host_bits = true;
  check_rows({{"1.2.3.4/24", {{"4.3.2.1", true, kListed}, {"9.3.2.1", true, kListed}}, kNone},
              {"127.0.0.1/8", {{"9.9.9.127", true, kListed}}, kNone}},
             opts);
}

TEST_CASE("ip4set load: value forms", "[ip4set_load]") {
  check_rows({
      {"1.2.3.4:6:attached", {{"4.3.2.1", true, {"A 127.0.0.6 2100", "TXT \"attached\" 2100"}}}, kNone},
      {"1.2.3.0/24:5:x", {{"4.3.2.1", true, {"A 127.0.0.5 2100", "TXT \"x\" 2100"}}}, kNone},
      {"1.2.3.0-5:5:x", {{"4.3.2.1", true, {"A 127.0.0.5 2100", "TXT \"x\" 2100"}}}, kNone},
      {"1.2.3.4 :4:", {{"4.3.2.1", true, {"A 127.0.0.4 2100"}}}, kNone},
      {"1.2.3.4 :5", {{"4.3.2.1", true, {"A 127.0.0.5 2100"}}}, kNone},
      {":127.0.0.9:Listed $\n1.2.3.4 :5",
       {{"4.3.2.1", true, {"A 127.0.0.5 2100", "TXT \"Listed 1.2.3.4\" 2100"}}},
       kNone},
      {":127.0.0.9:Listed $\n1.2.3.4 custom $",
       {{"4.3.2.1", true, {"A 127.0.0.9 2100", "TXT \"custom 1.2.3.4\" 2100"}}},
       kNone},
      {":127.0.0.9:Listed $\n1.2.3.4",
       {{"4.3.2.1", true, {"A 127.0.0.9 2100", "TXT \"Listed 1.2.3.4\" 2100"}}},
       kNone},
      {"1.2.3.4 :1.2.3:x", {{"4.3.2.1", true, {"A 1.2.0.3 2100", "TXT \"x\" 2100"}}}, kNone},
      {"1.2.3.4 :1.2:x", {{"4.3.2.1", true, {"A 1.0.0.2 2100", "TXT \"x\" 2100"}}}, kNone},
      {"1.2.3.4 :1.2.3.4", {{"4.3.2.1", true, {"A 1.2.3.4 2100"}}}, kNone},
      {"1.2.3.4 :1.2.3.4  :  y", {{"4.3.2.1", true, {"A 1.2.3.4 2100", "TXT \"y\" 2100"}}}, kNone},
      {"1.2.3.4 :255.255.255.255:x",
       {{"4.3.2.1", true, {"A 255.255.255.255 2100", "TXT \"x\" 2100"}}},
       kNone},
      {"1.2.3.4 :127.0.0.3:x:y", {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"x:y\" 2100"}}}, kNone},
      {"1.2.3.4 :3 :x", {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"x\" 2100"}}}, kNone},
      {"1.2.3.4 :3:   spaced", {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"spaced\" 2100"}}}, kNone},
      {"1.2.3.4 #comment", {{"4.3.2.1", true, kListed}}, kNone},
      {"1.2.3.4 ; comment", {{"4.3.2.1", true, kListed}}, kNone},
      {"1.2.3.4 text # with hash",
       {{"4.3.2.1", true, {"A 127.0.0.2 2100", "TXT \"text # with hash\" 2100"}}},
       kNone},
      {"1.2.3.4 :3:txt ;not comment",
       {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"txt ;not comment\" 2100"}}},
       kNone},
      {"1.2.3.4 -5", {{"4.3.2.1", true, {"A 127.0.0.2 2100", "TXT \"-5\" 2100"}}}, kNone},
      {std::string("1.2.3.4 \0junk", 13), {{"4.3.2.1", true, kListed}}, kNone},
      {"1.2.3.4 :0:x", {{"4.3.2.1", false, {}}}, w("file f(1): invalid A RR")},
      {"1.2.3.4 :0.0.0.0:x", {{"4.3.2.1", false, {}}}, w("file f(1): invalid A RR")},
      {"1.2.3.4 :256:x", {{"4.3.2.1", false, {}}}, w("file f(1): invalid A RR")},
      {"1.2.3.4 :65536:x", {{"4.3.2.1", false, {}}}, w("file f(1): invalid A RR")},
      {"1.2.3.4 :", {{"4.3.2.1", false, {}}}, w("file f(1): invalid A RR")},
      {"1.2.3.4 ::", {{"4.3.2.1", false, {}}}, w("file f(1): invalid A RR")},
      {"1.2.3.4 : 3:y", {{"4.3.2.1", false, {}}}, w("file f(1): invalid A RR")},
      {"1.2.3.4 :2x", {{"4.3.2.1", false, {}}}, w("file f(1): unrecognized value for an entry")},
      {"1.2.3.4 :2 x", {{"4.3.2.1", false, {}}}, w("file f(1): unrecognized value for an entry")},
      {"1.2.3.4 :2 #x", {{"4.3.2.1", false, {}}}, w("file f(1): unrecognized value for an entry")},
      {"1.2.3.4 :2.3.4.5.6:x", {{"4.3.2.1", false, {}}}, w("file f(1): unrecognized value for an entry")},
      // A 255-byte template gives a 254-byte TXT (rbldnsd's txtsubst cap).
      {"1.2.3.4 :3:" + std::string(300, 'x'),
       {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"" + std::string(254, 'x') + "\" 2100"}}},
       w("file f(1): TXT RR truncated to 255 bytes")},
  });
}

TEST_CASE("ip4set load: default lines", "[ip4set_load]") {
  check_rows({
      // `:A` in a default line takes the built-in default's (empty) TXT, not the previous default's.
      {":2:Foo\n:3\n1.2.3.4", {{"4.3.2.1", true, {"A 127.0.0.3 2100"}}}, kNone},
      {":2:Foo\n:0:bar\n1.2.3.4",
       {{"4.3.2.1", true, {"A 127.0.0.2 2100", "TXT \"Foo\" 2100"}}},
       w("file f(2): invalid A RR")},
      {":2:Foo\n:5:\n1.2.3.4\n1.2.3.5 :6",
       {{"4.3.2.1", true, {"A 127.0.0.5 2100"}}, {"5.3.2.1", true, {"A 127.0.0.6 2100"}}},
       kNone},
      {":4:Foo $\n1.2.3.4 :6\n1.2.3.5 bar",
       {{"4.3.2.1", true, {"A 127.0.0.6 2100", "TXT \"Foo 1.2.3.4\" 2100"}},
        {"5.3.2.1", true, {"A 127.0.0.4 2100", "TXT \"bar\" 2100"}}},
       kNone},
      {":7:Foo\n:8:Bar\n1.2.3.4", {{"4.3.2.1", true, {"A 127.0.0.8 2100", "TXT \"Bar\" 2100"}}}, kNone},
      {"1.2.3.4\n:3:later\n1.2.3.5",
       {{"4.3.2.1", true, kListed}, {"5.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"later\" 2100"}}},
       kNone},
      {":3:" + std::string(300, 'z') + "\n1.2.3.4",
       {{"4.3.2.1", true, {"A 127.0.0.3 2100", "TXT \"" + std::string(254, 'z') + "\" 2100"}}},
       w("file f(1): TXT RR truncated to 255 bytes")},
  });
}

TEST_CASE("ip4set load: defaults last to the end of the file", "[ip4set_load]") {
  Loaded l = load({{"a", ":3:first $\n1.1.1.1\n"}, {"b", "2.2.2.2\n:4\n3.3.3.3\n"}, {"c", "4.4.4.4 :5"}});
  REQUIRE(l.error.is_ok());
  CHECK(testing::ask(*l.snap, "1.1.1.1.bl").rrs == Rrs{"A 127.0.0.3 2100", "TXT \"first 1.1.1.1\" 2100"});
  CHECK(testing::ask(*l.snap, "2.2.2.2.bl").rrs == kListed);
  CHECK(testing::ask(*l.snap, "3.3.3.3.bl").rrs == Rrs{"A 127.0.0.4 2100"});
  CHECK(testing::ask(*l.snap, "4.4.4.4.bl").rrs == Rrs{"A 127.0.0.5 2100"});
}

TEST_CASE("ip4set load: conflict rules across lines and files", "[ip4set_load]") {
  check_rows({
      {"10.0.0.0/8\n!10.1.0.0/16\n10.1.2.0/24 :3:x\n!10.1.2.3",
       {{"1.0.0.10", true, kListed},
        {"1.0.1.10", false, {}},
        {"2.2.1.10", true, {"A 127.0.0.3 2100", "TXT \"x\" 2100"}},
        {"3.2.1.10", false, {}}},
       kNone},
      {"1.2.3.128/25\n!1.2.3.0/24\n1.2.4.0/25",
       {{"200.3.2.1", true, kListed},
        {"1.3.2.1", false, {}},
        {"1.4.2.1", true, kListed},
        {"200.4.2.1", false, {}}},
       kNone},
      {"1.2.3.4 :3:a\n1.2.3.4 :3:b\n1.2.3.4 :4:a\n1.2.3.4 :3:a",
       {{"4.3.2.1", true, {"A 127.0.0.3 2100", "A 127.0.0.4 2100", "TXT \"a\" 2100", "TXT \"b\" 2100"}}},
       kNone},
      {"1.2.3.4\n1.2.3.4\t:3:a\n  1.2.3.5  \t",
       {{"4.3.2.1", true, {"A 127.0.0.2 2100", "A 127.0.0.3 2100", "TXT \"a\" 2100"}},
        {"5.3.2.1", true, kListed}},
       kNone},
      {"1.2.3.4\n1.2.3.4\n1.2.3.4 :2:\n!1.2.3.4\n!1.2.3.4 :3:x", {{"4.3.2.1", false, {}}}, kNone},
  });
  // Files of one dataset behave as one: an exclusion in the second file applies.
  Loaded l = load({{"a", "1.2.3.0/24\n"}, {"b", "!1.2.3.4\n"}});
  REQUIRE(l.error.is_ok());
  CHECK_FALSE(testing::ask(*l.snap, "4.3.2.1.bl").found);
  CHECK(testing::ask(*l.snap, "5.3.2.1.bl").found);
}

TEST_CASE("ip4set load: rbldnsd's block counters in the info line", "[ip4set_load]") {
  struct Row {
    std::string data;
    std::string stats;
  };
  const std::vector<Row> rows = {
      {"10.0.0.0/8\n!10.1.0.0/16\n10.1.2.0/24 :3:x\n!10.1.2.3\n1.2.3.0/25\n!1.2.3.0/24\n5.5.5.5 :2:a\n"
       "5.5.5.5 :3:b\n5.5.5.5 :2:a\n5.5.5.5 :2:a\n!6.6.6.6\n!6.6.6.6\n6.6.6.6",
       "e32/24/16/8=133/2/1/1"},
      {"1.2.3.4 :3:a\n1.2.3.5 :9:z\n1.2.3.4 :3:a", "e32/24/16/8=2/0/0/0"},
      {"1.2.3.4\n1.2.3.4 :2:", "e32/24/16/8=1/0/0/0"},
      {"1.2.3.4 :3:a\n1.2.3.4 :4:b\n1.2.3.4 :3:a", "e32/24/16/8=3/0/0/0"},
      {":3:a\n1.2.3.4\n1.2.3.4 :3:a\n1.2.3.4", "e32/24/16/8=1/0/0/0"},
      {"1.2.3.4 :3:a\n1.2.3.4 :3:a\n1.2.3.4 :3:a", "e32/24/16/8=1/0/0/0"},
      {"1.2.0.0-1.3.255.255\n1.0.0.1-1.0.1.0", "e32/24/16/8=256/0/2/0"},
      {"0-255", "e32/24/16/8=0/0/0/256"},
      {"1.2.3.0-1.2.4.255", "e32/24/16/8=0/2/0/0"},
  };
  for (const Row& r : rows) {
    Loaded l = load1(r.data);
    INFO(r.data);
    REQUIRE(l.error.is_ok());
    CHECK(l.info == Lines{"ip4set:f: 20231114 221320: " + r.stats});
  }
}

TEST_CASE("ip4set load: $TTL in every spelling, units, and clamping", "[ip4set_load]") {
  struct Row {
    std::string data;
    std::uint32_t ttl;
    bool warns;
  };
  const std::vector<Row> rows = {
      {"$TTL 300", 300, false},  {"#$TTL 300", 300, false},       {";$TTL 300", 300, false},
      {":$TTL 300", 300, false}, {"$ttl 300", 300, false},        {"$TtL\t5m", 300, false},
      {"$TTL 1h", 3600, false},  {"$TTL 1d", 86400, false},       {"$TTL 1W", 604800, false},
      {"$TTL 10S", 10, false},   {"$TTL 0", 2100, false},         {"$TTL 4294967295", 4294967295u, false},
      {"$TTL 10x", 2100, true},  {"$TTL 10 20", 2100, true},      {"$TTL 10:", 2100, true},
      {"$TTL", 2100, true},      {"$TTL 4294967296", 2100, true}, {"$TTL 10000w", 2100, true},
      {"# $TTL 5", 2100, false}, {"$TTL300", 2100, true},
  };
  for (const Row& r : rows) {
    Loaded l = load1(r.data + "\n1.2.3.4\n");
    INFO(r.data);
    REQUIRE(l.error.is_ok());
    CHECK(testing::ask(*l.snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 " + std::to_string(r.ttl)});
    CHECK(l.warnings == (r.warns ? w("file f(1): invalid or unrecognized special entry") : kNone));
  }
  // The last $TTL applies to every entry, also earlier ones and other files.
  Loaded l = load({{"a", "1.2.3.4\n$TTL 100\n"}, {"b", "1.2.3.5\n$TTL 200\n"}});
  CHECK(testing::ask(*l.snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 200"});
  CHECK(testing::ask(*l.snap, "5.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 200"});
  // -t 1h:20:5000
  LoadOptions opts;
  opts.default_ttl = 3600;
  opts.min_ttl = 20;
  opts.max_ttl = 5000;
  CHECK(testing::ask(*load1("$TTL 10\n1.2.3.4", opts).snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 20"});
  CHECK(testing::ask(*load1("$TTL 100000\n1.2.3.4", opts).snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 5000"});
  CHECK(testing::ask(*load1("1.2.3.4", opts).snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 3600"});
  CHECK(testing::ask(*load1("$TTL 0\n1.2.3.4", opts).snap, "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 3600"});
}

TEST_CASE("ip4set load: $0..$9 and $= (first definition wins)", "[ip4set_load]") {
  check_rows({
      {"$1 one\n$1 uno\n$= base $1 [$=]\n$= other\n1.2.3.4 :2:entry",
       {{"4.3.2.1", true, {"A 127.0.0.2 2100", "TXT \"base one [entry]\" 2100"}}},
       kNone},
      {"$= base [$=]\n1.2.3.4 :2:",
       {{"4.3.2.1", true, {"A 127.0.0.2 2100", "TXT \"base [1.2.3.4]\" 2100"}}},
       kNone},
      {"$1\n1.2.3.4", {{"4.3.2.1", true, kListed}}, w("file f(1): invalid or unrecognized special entry")},
      {"$1 x\n$1\n1.2.3.4",
       {{"4.3.2.1", true, kListed}},
       w("file f(2): invalid or unrecognized special entry")},
      {"$2  two words \n1.2.3.4 :2:$2!",
       {{"4.3.2.1", true, {"A 127.0.0.2 2100", "TXT \"two words!\" 2100"}}},
       kNone},
      {"#$3 three\n;$4 four\n:$5 five\n1.2.3.4 :2:$3 $4 $5 $6",
       {{"4.3.2.1", true, {"A 127.0.0.2 2100", "TXT \"three four five $6\" 2100"}}},
       kNone},
  });
}

TEST_CASE("ip4set load: $MAXRANGE4", "[ip4set_load]") {
  check_rows({
      {"$MAXRANGE4 256\n1.2.3.0/24\n1.2.0.0/23",
       {{"9.3.2.1", true, kListed}, {"9.0.2.1", false, {}}},
       w("file f(3): too large range (512) ignored (256 max)")},
      {"$MAXRANGE4 /24\n$MAXRANGE4 /16\n1.2.0.0/23",
       {{"9.0.2.1", false, {}}},
       {"file f(2): ignoring attempt to increase $MAXRANGE4 from 256 to 65536",
        "file f(3): too large range (512) ignored (256 max)"}},
      {"$MAXRANGE4 0", {}, w("file f(1): invalid or unrecognized special entry")},
      {"$MAXRANGE4 /0", {}, w("file f(1): invalid or unrecognized special entry")},
      {"$MAXRANGE4 /33", {}, w("file f(1): invalid or unrecognized special entry")},
      {"$MAXRANGE4 1x", {}, w("file f(1): invalid or unrecognized special entry")},
      {"$MAXRANGE4 /32\n1.2.3.4\n1.2.3.4-5",
       {{"4.3.2.1", true, kListed}, {"5.3.2.1", false, {}}},
       w("file f(3): too large range (2) ignored (1 max)")},
      {"$MAXRANGE4 100\n$MAXRANGE4 50\n$MAXRANGE4 /24",
       {},
       w("file f(3): ignoring attempt to increase $MAXRANGE4 from 50 to 256")},
      {"$MAXRANGE4 /1\n0-255\n0-127\n!128-255",
       {{"1.1.1.1", true, kListed}, {"1.1.1.200", false, {}}},
       w("file f(2): too large range (0) ignored (2147483648 max)")},
      {"$MAXRANGE4 256\n!1.2.0.0/16", {}, w("file f(2): too large range (65536) ignored (256 max)")},
  });
  // It lasts across the files of the dataset.
  Loaded l = load({{"a", "$MAXRANGE4 /24\n"}, {"b", "1.2.0.0/16\n"}});
  CHECK(l.warnings == w("file b(1): too large range (65536) ignored (256 max)"));
}

TEST_CASE("ip4set load: unknown and malformed specials", "[ip4set_load]") {
  const std::vector<const char*> bad = {
      "$FOO bar", "$",    "#$",         ";$", ":$", "$SOAx 60 a b 1 1 1 1 1", "$DATASET ip4set x @",
      "$NS",      "$ttl", "$TIMESTAMP", "$1"};
  for (const char* line : bad) {
    Loaded l = load1(std::string(line) + "\n1.2.3.4\n");
    INFO(line);
    REQUIRE(l.error.is_ok());
    CHECK(l.warnings == w("file f(1): invalid or unrecognized special entry"));
    CHECK(testing::ask(*l.snap, "4.3.2.1.bl").found);
  }
}

TEST_CASE("ip4set load: $TIMESTAMP", "[ip4set_load]") {
  struct Row {
    std::string line;
    bool warns;
    std::time_t expires;
  };
  const std::vector<Row> rows = {
      {"$TIMESTAMP 2020:01:01", false, 0},
      {"$TIMESTAMP 20200101", false, 0},
      {"$TIMESTAMP 2024-02-29", false, 0},
      {"$TIMESTAMP 0 2020-01-01", false, 1577836800},
      {"$TIMESTAMP - 2037-01-01", false, 2114380800},
      {"$TIMESTAMP 2020-01-01 +1d", false, 1577923200},
      {"$TIMESTAMP 2020-01-01 2030-01-01\n$TIMESTAMP 0 2029-01-01\n$TIMESTAMP 0 2031-01-01", false,
       1861920000},
      {"$TIMESTAMP 2039:01:01", true, 0},
      {"$TIMESTAMP 2020-01-01-10-20-30 2040", true, 0},
      {"$TIMESTAMP 2020-02-30", true, 0},
      {"$TIMESTAMP 2020", true, 0},
      {"$TIMESTAMP 0 +1d", true, 0},
      {"$TIMESTAMP 2020-01-01 +0", true, 0},
      {"$TIMESTAMP 2020-01-01 +1x", true, 0},
  };
  for (const Row& r : rows) {
    Loaded l = load1(r.line + "\n1.2.3.4\n");
    INFO(r.line);
    REQUIRE(l.error.is_ok());
    const auto file_warnings = std::count_if(l.warnings.begin(), l.warnings.end(),
                                             [](const std::string& m) { return m.rfind("file f", 0) == 0; });
    CHECK(file_warnings == (r.warns ? 1 : 0));
    const zones::Zone& z = l.snap->zones()[0];
    CHECK(z.datasets[0]->meta().expires == r.expires);
    CHECK(z.serviced == (r.expires == 0 || r.expires > kNow));
  }
  // A stamp in the future fails the load.
  Loaded f = load1("1.2.3.4\n$TIMESTAMP 2030:01:01\n");
  CHECK_FALSE(f.error.is_ok());
  CHECK(f.error.message() == "file f(2): data timestamp is 93456000 sec in the future, aborting loading");
  CHECK(f.snap == nullptr);
}

TEST_CASE("ip4set load: gzip, CRLF and a last line without newline", "[ip4set_load]") {
  Loaded l = load({{"a.gz", "1.1.1.1 :3:gz\r\n"},
                   {"b", "2.2.2.2 :4:crlf\r\n2.2.2.3 :5:x\r\n"},
                   {"c", "3.3.3.3 :6:last"}});
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings.empty());
  CHECK(testing::ask(*l.snap, "1.1.1.1.bl").rrs == Rrs{"A 127.0.0.3 2100", "TXT \"gz\" 2100"});
  CHECK(testing::ask(*l.snap, "2.2.2.2.bl").rrs == Rrs{"A 127.0.0.4 2100", "TXT \"crlf\" 2100"});
  CHECK(testing::ask(*l.snap, "3.2.2.2.bl").rrs == Rrs{"A 127.0.0.5 2100", "TXT \"x\" 2100"});
  CHECK(testing::ask(*l.snap, "3.3.3.3.bl").rrs == Rrs{"A 127.0.0.6 2100", "TXT \"last\" 2100"});

  LoadOptions no_gzip;
  no_gzip.no_gzip = true;
  Loaded c = load({{"a.gz", "1.1.1.1\n"}}, no_gzip);
  CHECK(c.error.message() == "file a.gz: file is compressed, decompression disabled");
}

TEST_CASE("ip4set load: at most five warnings per load, then a count", "[ip4set_load]") {
  Loaded l = load({{"a", ":3:first\n1.2.3.4\nbad1\nbad2\n"}, {"b", "1.2.3.5\nbad3\nbad4\nbad5\nbad6\n"}});
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings == Lines{"file a(3): invalid address", "file a(4): invalid address",
                            "file b(2): invalid address", "file b(3): invalid address",
                            "file b(4): invalid address", "ip4set:a,b: 1 more warnings suppressed"});
  CHECK(l.info == Lines{"ip4set:a,b: 20231114 221320: e32/24/16/8=2/0/0/0"});
}

TEST_CASE("ip4set load: comments, blank lines and the apex", "[ip4set_load]") {
  Loaded l = load1("# comment\n; other\n\n   \t\n  # indented comment\n1.2.3.4\n");
  REQUIRE(l.error.is_ok());
  CHECK(l.warnings.empty());
  testing::Answer apex = testing::ask(*l.snap, "bl");
  CHECK(apex.zone);
  CHECK_FALSE(apex.found);
  // Empty non-terminals exist (our RFC 8020 difference), with no records.
  testing::Answer ent = testing::ask(*l.snap, "3.2.1.bl");
  CHECK(ent.found);
  CHECK(ent.rrs.empty());
  CHECK_FALSE(testing::ask(*l.snap, "4.2.1.bl").found);
  CHECK_FALSE(testing::ask(*l.snap, "x.4.3.2.1.bl").found);
}

}  // namespace
}  // namespace fastrbl::loader
