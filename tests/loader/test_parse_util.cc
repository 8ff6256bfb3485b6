// Tests for the token parsers (time values, TTL clamping, timestamps, IPv4 forms) and
// for parse_value (rbldnsd parse_a_txt).

#include "loader/parse_util.h"
#include "loader/value_parser.h"
#include "tests/loader/loader_test_util.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

namespace fastrbl::loader {
namespace {

constexpr std::uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

TEST_CASE("parse_time: units, separators and overflow", "[parse]") {
  struct Row {
    const char* in;
    std::optional<std::uint32_t> value;
    const char* rest;
  };
  const std::vector<Row> rows = {
      {"0", 0, ""},
      {"10", 10, ""},
      {"10s", 10, ""},
      {"10S", 10, ""},
      {"5m", 300, ""},
      {"5M", 300, ""},
      {"2h", 7200, ""},
      {"1d", 86400, ""},
      {"1W", 604800, ""},
      {"35m rest", 2100, "rest"},
      {"1h\t\tx", 3600, "x"},
      {"10:20", 10, ":20"},
      {"4294967295", 4294967295u, ""},
      {"4294967296", std::nullopt, ""},
      {"7102w", std::nullopt, ""},
      {"7101w", 4294684800u, ""},
      {"10x", std::nullopt, ""},
      {"", std::nullopt, ""},
      {"x", std::nullopt, ""},
      {"10 ", 10, ""},
  };
  for (const Row& r : rows) {
    auto got = parse_time(r.in);
    INFO(r.in);
    REQUIRE(got.has_value() == r.value.has_value());
    if (got) {
      CHECK(got->value == *r.value);
      CHECK(got->rest == r.rest);
    }
  }
}

TEST_CASE("parse_ttl: 0 is the default, then min and max clamp", "[parse]") {
  CHECK(parse_ttl("0", 2100, 0, 0)->value == 2100);
  CHECK(parse_ttl("5", 2100, 0, 0)->value == 5);
  CHECK(parse_ttl("5", 2100, 20, 5000)->value == 20);
  CHECK(parse_ttl("1d", 2100, 20, 5000)->value == 5000);
  CHECK(parse_ttl("0", 3600, 20, 5000)->value == 3600);  // the default is not clamped
  CHECK(parse_ttl("300", 2100, 20, 5000)->value == 300);
  CHECK_FALSE(parse_ttl("x", 2100, 0, 0).has_value());
}

TEST_CASE("parse_uint32: digits then end or blanks", "[parse]") {
  CHECK(parse_uint32("42")->value == 42);
  CHECK(parse_uint32("42  x")->rest == "x");
  CHECK_FALSE(parse_uint32("42x").has_value());
  CHECK_FALSE(parse_uint32("4m").has_value());
  CHECK_FALSE(parse_uint32("").has_value());
}

TEST_CASE("parse_timestamp: rbldnsd's formats and limits", "[parse]") {
  struct Row {
    const char* in;
    std::optional<std::time_t> value;
  };
  const std::vector<Row> rows = {
      {"0", 0},
      {"-", 0},
      {":", 0},
      {"1970-01-01", 0},
      {"2020:01:01", 1577836800},
      {"2020-01-01", 1577836800},
      {"20200101", 1577836800},
      {"2020-01-01-10-20-30", 1577874030},
      {"2020010110", 1577872800},
      {"2024-02-29", 1709164800},
      {"2038-01-19", 2147472000},
      {"2038-12-31", 2177366400},
      {"2023-02-29", std::nullopt},
      {"2020-02-30", std::nullopt},
      {"2039-01-01", std::nullopt},
      {"1969-12-31", std::nullopt},
      {"2020", std::nullopt},
      {"2020-13-01", std::nullopt},
      {"2020-01-01x", std::nullopt},
      {"2020-01-01-24", std::nullopt},
      {"00", std::nullopt},
  };
  for (const Row& r : rows) {
    auto got = parse_timestamp(r.in);
    INFO(r.in);
    REQUIRE(got.has_value() == r.value.has_value());
    if (got) CHECK(got->value == *r.value);
  }
  CHECK(parse_timestamp("2020-01-01 +1d")->rest == "+1d");
  CHECK(parse_timestamp("0 2020-01-01")->rest == "2020-01-01");
}

TEST_CASE("parse_ip4_range: addresses, prefixes, CIDRs, ranges", "[parse]") {
  struct Row {
    const char* in;
    bool ok;
    std::uint32_t first, last;
    int bits;
    std::size_t end;
  };
  const std::vector<Row> rows = {
      {"1.2.3.4", true, ip(1, 2, 3, 4), ip(1, 2, 3, 4), 32, 7},
      {"1.2.3", true, ip(1, 2, 3, 0), ip(1, 2, 3, 255), 24, 5},
      {"1.2", true, ip(1, 2, 0, 0), ip(1, 2, 255, 255), 16, 3},
      {"1", false, 0, 0, 0, 0},
      {"1/8", true, ip(1, 0, 0, 0), ip(1, 255, 255, 255), 8, 3},
      {"127/8", true, ip(127, 0, 0, 0), ip(127, 255, 255, 255), 8, 5},
      {"127.16/12", true, ip(127, 16, 0, 0), ip(127, 31, 255, 255), 12, 9},
      {"1.2.3.4/24", true, ip(1, 2, 3, 4), ip(1, 2, 3, 255), 24, 10},  // host bits: the caller decides
      {"1.2.3.0/024", true, ip(1, 2, 3, 0), ip(1, 2, 3, 255), 24, 11},
      {"0/0", true, 0, 0xffffffffu, 0, 3},
      {"1.2.3.4/33", false, 0, 0, 0, 0},
      {"1.2.3.4/", false, 0, 0, 0, 0},
      {"127.0.0.1-255", true, ip(127, 0, 0, 1), ip(127, 0, 0, 255), 32, 13},
      {"127.16-31", true, ip(127, 16, 0, 0), ip(127, 31, 255, 255), 32, 9},
      {"12.0.0.1-12.0.0.5", true, ip(12, 0, 0, 1), ip(12, 0, 0, 5), 32, 17},
      {"1.2.3-4", true, ip(1, 2, 3, 0), ip(1, 2, 4, 255), 32, 7},
      {"1-5", true, ip(1, 0, 0, 0), ip(5, 255, 255, 255), 32, 3},
      {"0-255", true, 0, 0xffffffffu, 32, 5},
      {"127-127.0.0", false, 0, 0, 0, 0},
      {"1.2-1.2.3.4", false, 0, 0, 0, 0},
      {"1.2.3.5-3", false, 0, 0, 0, 0},
      {"1.2.3.4-", false, 0, 0, 0, 0},
      {"256.1.1.1", false, 0, 0, 0, 0},
      {"1.2.3.", false, 0, 0, 0, 0},
      {"001.002.003.004", true, ip(1, 2, 3, 4), ip(1, 2, 3, 4), 32, 15},
      {"1.2.3.4.5", true, ip(1, 2, 3, 4), ip(1, 2, 3, 4), 32, 7},  // the caller refuses ".5"
      {"1.2.3.4:6:x", true, ip(1, 2, 3, 4), ip(1, 2, 3, 4), 32, 7},
      {"a.b.c.d", false, 0, 0, 0, 0},
  };
  for (const Row& r : rows) {
    auto got = parse_ip4_range(r.in);
    INFO(r.in);
    REQUIRE(got.has_value() == r.ok);
    if (!got) continue;
    CHECK(got->first == r.first);
    CHECK(got->last == r.last);
    CHECK(got->bits == r.bits);
    CHECK(got->end == r.end);
  }
}

TEST_CASE("parse_ip4_addr: inet_aton partial forms", "[parse]") {
  CHECK(parse_ip4_addr("2")->addr == 2);
  CHECK(parse_ip4_addr("2")->bits == 8);
  CHECK(parse_ip4_addr("1.2")->addr == ip(1, 0, 0, 2));
  CHECK(parse_ip4_addr("1.2.3")->addr == ip(1, 2, 0, 3));
  CHECK(parse_ip4_addr("1.2.3.4")->addr == ip(1, 2, 3, 4));
  CHECK_FALSE(parse_ip4_addr("65536").has_value());
  CHECK(ip4_mask(0) == 0);
  CHECK(ip4_mask(8) == 0xff000000u);
  CHECK(ip4_mask(32) == 0xffffffffu);
}

TEST_CASE("parse_value: every value form of rbldnsd parse_a_txt", "[parse]") {
  testing::LogCapture log;
  const RawValue def{{127, 0, 0, 9}, "Default $"};
  struct Row {
    std::string in;
    bool ok;
    std::array<std::uint8_t, 4> a;
    std::string txt;
    const char* warning;
  };
  const std::vector<Row> rows = {
      {":4:", true, {127, 0, 0, 4}, "", nullptr},
      {":4:text here", true, {127, 0, 0, 4}, "text here", nullptr},
      {":4:   spaced", true, {127, 0, 0, 4}, "spaced", nullptr},
      {":4  :  y", true, {127, 0, 0, 4}, "y", nullptr},
      {":5", true, {127, 0, 0, 5}, "Default $", nullptr},
      {":1.2.3:x", true, {1, 2, 0, 3}, "x", nullptr},
      {":1.2:x", true, {1, 0, 0, 2}, "x", nullptr},
      {":1.2.3.4", true, {1, 2, 3, 4}, "Default $", nullptr},
      {":255.255.255.255:x", true, {255, 255, 255, 255}, "x", nullptr},
      {":127.0.0.3:x:y", true, {127, 0, 0, 3}, "x:y", nullptr},
      {":3:txt ;not comment", true, {127, 0, 0, 3}, "txt ;not comment", nullptr},
      {"custom $", true, {127, 0, 0, 9}, "custom $", nullptr},
      {"text # with hash", true, {127, 0, 0, 9}, "text # with hash", nullptr},
      {":0:x", false, {}, "", "invalid A RR"},
      {":0.0.0.0:x", false, {}, "", "invalid A RR"},
      {":256:x", false, {}, "", "invalid A RR"},
      {":65536:x", false, {}, "", "invalid A RR"},
      {":", false, {}, "", "invalid A RR"},
      {"::", false, {}, "", "invalid A RR"},
      {": 3:y", false, {}, "", "invalid A RR"},
      {":2x", false, {}, "", "unrecognized value for an entry"},
      {":2 x", false, {}, "", "unrecognized value for an entry"},
      {":2 #x", false, {}, "", "unrecognized value for an entry"},
      {":2.3.4.5.6:x", false, {}, "", "unrecognized value for an entry"},
      {":3:" + std::string(300, 'x'),
       true,
       {127, 0, 0, 3},
       std::string(255, 'x'),
       "TXT RR truncated to 255 bytes"},
      {std::string(300, 'y'), true, {127, 0, 0, 9}, std::string(255, 'y'), "TXT RR truncated to 255 bytes"},
  };
  for (const Row& r : rows) {
    log.clear();
    LoadDiagnostics diag("ip4set", "x");
    diag.set_file("f");
    diag.set_line(1);
    auto got = parse_value(r.in, def, diag);
    INFO(r.in);
    REQUIRE(got.has_value() == r.ok);
    if (got) {
      CHECK(got->a == r.a);
      CHECK(got->txt == r.txt);
    }
    if (r.warning != nullptr) {
      CHECK(log.warnings() == std::vector<std::string>{std::string("file f(1): ") + r.warning});
    } else {
      CHECK(log.warnings().empty());
    }
  }
}

}  // namespace
}  // namespace fastrbl::loader
