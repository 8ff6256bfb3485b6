// Dataset images (zones/image.h): a dataset written as an image and opened again answers
// every question exactly as the dataset parsed from text, in place (image 16 bytes after a
// 32-byte boundary, as LMDB places overflow values) and from a heap copy (any other
// placement); a truncated or corrupted image is refused with a clear message.

#include "loader/load.h"
#include "support/placed_image.h"
#include "tests/loader/ip_load_util.h"
#include "tests/loader/loader_test_util.h"
#include "zones/acl.h"
#include "zones/image.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace fastrbl::loader {
namespace {

using testing::Answer;
using testing::Placed;

// Image bytes placed at `offset` modulo 32 in a heap buffer (the buffer outlives uses).
struct Reopened {
  std::shared_ptr<const zones::Snapshot> snap;
  bool in_place = false;
};

// The first dataset of `snap` written as an image and opened from bytes at `offset` mod 32.
Reopened reopen(const zones::Snapshot& snap, const std::string& spec, std::size_t offset) {
  const auto& ds = snap.zones().at(0).datasets.at(0);
  auto image = zones::write_image(*ds);
  REQUIRE(image.is_ok());
  auto placed = std::make_shared<Placed>(image.value(), offset);
  auto opened = zones::open_image(placed->bytes, placed);
  INFO(opened.status().message());
  REQUIRE(opened.is_ok());
  CHECK(opened.value().dataset->entries() == ds->entries());
  CHECK(opened.value().dataset->meta().spec == ds->meta().spec);
  auto zs = parse_zone_spec(spec);
  REQUIRE(zs.is_ok());
  LoadOptions opts;
  opts.now = testing::kLoadNow;
  return {build_snapshot({zs.value()}, {opened.value().dataset}, opts), opened.value().in_place};
}

void same_answers(const zones::Snapshot& a, const zones::Snapshot& b, const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    for (std::uint16_t qt : {core::rrtype::kA, core::rrtype::kTXT, core::rrtype::kANY}) {
      INFO("query: " << n << " type " << qt);
      const Answer x = testing::ask(a, n, qt);
      const Answer y = testing::ask(b, n, qt);
      CHECK(x.zone == y.zone);
      CHECK(x.found == y.found);
      CHECK(x.rrs == y.rrs);
    }
  }
}

// Both placements of the image answer as the text.
void check_round_trip(const std::string& type, const std::string& data,
                      const std::vector<std::string>& names) {
  testing::LoadedZone l = testing::load_files("bl", type, {{"f", data}});
  INFO(l.error.message());
  REQUIRE(l.error.is_ok());
  const std::string spec = "bl:" + type + ":f";
  const Reopened in_place = reopen(*l.snap, spec, zones::kImageAlignOffset);
  CHECK(in_place.in_place);
  same_answers(*l.snap, *in_place.snap, names);
  const Reopened copied = reopen(*l.snap, spec, 3);
  CHECK_FALSE(copied.in_place);
  same_answers(*l.snap, *copied.snap, names);
}

constexpr const char* kIp4Data = R"($TTL 300
$SOA 600 ns.bl. hostmaster.bl. 0 3600 600 86400 300
$NS 600 ns.bl.
$0 zero
$= base $0 [$]
:127.0.0.2:Listed $ here
10.0.0.0/8
10.1.0.0/16 :127.0.0.3:sixteen
!10.1.2.0/24
10.1.2.3 :127.0.0.4:=exact $
192.168.1.1-192.168.1.200 :127.0.0.5
192.168.1.7 :127.0.0.6:second
1.2.3.4
1.2.3.4 :127.0.0.9:dup
)";

TEST_CASE("image: ip4set answers as parsed text, in place and copied", "[image]") {
  check_round_trip("ip4set", kIp4Data,
                   {"bl", "1.0.0.10.bl", "9.9.9.10.bl", "1.0.1.10.bl", "3.2.1.10.bl", "4.2.1.10.bl", "10.bl",
                    "1.10.bl", "2.1.10.bl", "7.1.168.192.bl", "200.1.168.192.bl", "201.1.168.192.bl",
                    "4.3.2.1.bl", "5.3.2.1.bl", "3.2.1.bl", "2.1.bl", "1.bl", "11.bl", "x.bl"});
}

TEST_CASE("image: empty ip4set", "[image]") {
  check_round_trip("ip4set", "# nothing\n", {"1.0.0.10.bl", "10.bl"});
}

constexpr const char* kDnData = R"($TTL 300
:127.0.0.2:Listed $ here
exact.com
*.wild.com :3:Wild $
.both.com :4:Both $
!*.ex.both.com
!sub.both.com
multi.com :5:one
multi.com :6:two
excl.com :7:x
!excl.com
special$.com
)";

TEST_CASE("image: dnset answers as parsed text, in place and copied", "[image]") {
  check_round_trip(
      "dnset", kDnData,
      {"bl", "exact.com.bl", "com.bl", "a.exact.com.bl", "wild.com.bl", "x.wild.com.bl", "y.x.wild.com.bl",
       "both.com.bl", "a.both.com.bl", "sub.both.com.bl", "x.sub.both.com.bl", "ex.both.com.bl",
       "a.ex.both.com.bl", "multi.com.bl", "excl.com.bl", "special\\$.com.bl", "nothing.org.bl"});
}

TEST_CASE("image: ip4tset answers as parsed text", "[image]") {
  check_round_trip(
      "ip4tset", ":127.0.0.3:listed $\n1.2.3.4\n1.2.3.5 ignored\n10.0.0.1\n1.2.3.4\n",
      {"4.3.2.1.bl", "5.3.2.1.bl", "6.3.2.1.bl", "3.2.1.bl", "2.1.bl", "1.bl", "1.0.0.10.bl", "bl"});
}

TEST_CASE("image: ip6tset answers as parsed text", "[image]") {
  const std::string data =
      ":3:six $\n2001:20fe:23:41ed\n!2001:20fe:23:41ed::2\n2001:20fe:23:41ee some text\n"
      "!2001:20fe:23:41ee:0:0:0:5\n2001:20fe:23:41f1\n";
  std::vector<std::string> names = {"bl"};
  for (const char* a : {"2001:20fe:23:41ed::1", "2001:20fe:23:41ed::2", "2001:20fe:23:41ee::5",
                        "2001:20fe:23:41ee::6", "2001:20fe:23:41ef::1", "2001:20fe:23:41f1::9", "::1"})
    names.push_back(testing::rev6(a) + ".bl");
  names.push_back("e.4.1.4.3.2.0.0.e.f.0.2.1.0.0.2.bl");
  names.push_back("3.2.0.0.e.f.0.2.1.0.0.2.bl");
  check_round_trip("ip6tset", data, names);
}

TEST_CASE("image: ip4trie answers as parsed text", "[image]") {
  check_round_trip("ip4trie",
                   "10.0.0.0/8 :3:ten $\n!10.1.0.0/16\n10.1.2.0/24 :4:net\n!10.1.2.3\n10.1.2.4 :6:host\n"
                   "1.2.3.4-5\n1/8\n0/0 :9:all\n",
                   {"1.0.0.10.bl", "1.0.1.10.bl", "2.2.1.10.bl", "3.2.1.10.bl", "4.2.1.10.bl", "4.3.2.1.bl",
                    "9.9.9.1.bl", "9.9.9.9.bl", "2.1.10.bl", "1.10.bl", "10.bl", "bl"});
}

TEST_CASE("image: ip6trie answers as parsed text", "[image]") {
  const std::string data =
      "2001:21ab:c000 :3:net48 $\n2001:db8::/32 :4:doc $\n!2001:db8:1::/48\n2001:db8:1:2::1 :5:host $\n"
      "::1 :6:lo $\n";
  std::vector<std::string> names = {"bl", "8.b.d.0.1.0.0.2.bl"};
  for (const char* a :
       {"2001:21ab:c000::5", "2001:db8::9", "2001:db8:1::7", "2001:db8:1:2::1", "::1", "::2", "fe80::1"})
    names.push_back(testing::rev6(a) + ".bl");
  check_round_trip("ip6trie", data, names);
}

TEST_CASE("image: generic answers as parsed text", "[image]") {
  check_round_trip("generic",
                   "$TTL 300\n@ A 127.0.0.9\n@ TXT \"apex text\"\n@ MX 10 mx.bl.ex.\nns1 A 10.0.0.1\n"
                   "ns1 A 10.0.0.2\nwww 3000 A 127.0.0.8\nwww IN TXT \"say hi\"\na.b.c MX 20 mail.example.\n",
                   {"bl", "ns1.bl", "www.bl", "a.b.c.bl", "b.c.bl", "c.bl", "x.bl"});
}

constexpr const char* kCombinedData = R"($NS 1w ns1.bl.ex ns2.ex.com
$SOA 1w ns1.ex.com admin.ex.com 0 2h 2h 1w 1h
$TTL 600
$1 common
$DATASET ip4set:proxy proxies @
:2:Open proxy $ $1
$1 subset
127.0.0.2
10.0.0.0/24 :3:ten $
$DATASET generic:common proxies relays @
$TTL 120
www A 127.0.0.8
ns1 A 10.1.1.1
$DATASET dnset sub.dom
x.com :5:dn $
*.y.com
$DATASET ip4set empty.zone
)";

TEST_CASE("image: combined answers as parsed text, nested images in place", "[image]") {
  check_round_trip("combined", kCombinedData, {"bl",
                                               "2.0.0.127.bl",
                                               "2.0.0.127.proxies.bl",
                                               "2.0.0.127.relays.bl",
                                               "5.0.0.10.proxies.bl",
                                               "www.bl",
                                               "www.proxies.bl",
                                               "www.relays.bl",
                                               "ns1.relays.bl",
                                               "proxies.bl",
                                               "relays.bl",
                                               "x.com.sub.dom.bl",
                                               "a.y.com.sub.dom.bl",
                                               "y.com.sub.dom.bl",
                                               "com.sub.dom.bl",
                                               "sub.dom.bl",
                                               "dom.bl",
                                               "empty.zone.bl",
                                               "1.0.0.127.empty.zone.bl",
                                               "x.bl"});
}

constexpr const char* kAclData = R"($TTL 33
127.0.0.55 :10:Z $
127.0.0.57 :refuse
127.0.0.58
127.0.0.60 :empty
10.0.0.0/8 :refuse
10.1.0.0/16 :PASS
10.1.2.0/24 =blackhole
2001:db8::/32 :refuse
2001:db8:1::/48 =pass
::ffff:a00:0/104 :empty
)";

TEST_CASE("image: acl rules match as parsed text", "[image]") {
  testing::TempDir dir;
  dir.write("data", "1.2.3.4\n");
  dir.write("acl", kAclData);
  testing::ScopedChdir cd(dir.path());
  LoadOptions opts;
  opts.now = testing::kLoadNow;
  auto snap = load_snapshot({"bl:ip4set:data", "bl:acl:acl"}, opts);
  REQUIRE(snap.is_ok());
  const zones::Acl& text = *snap.value()->zones().at(0).acl;
  auto image = zones::write_image(text);
  REQUIRE(image.is_ok());
  Placed placed(image.value(), zones::kImageAlignOffset);
  auto opened = zones::open_image(placed.bytes, nullptr);
  REQUIRE(opened.is_ok());
  const auto* acl = dynamic_cast<const zones::Acl*>(opened.value().dataset.get());
  REQUIRE(acl != nullptr);
  CHECK(acl->entries() == text.entries());
  auto same = [](const zones::AclRule* x, const zones::AclRule* y) {
    if (x == nullptr || y == nullptr) return x == y;
    return x->action == y->action && x->value == y->value;
  };
  std::mt19937 gen(Catch::rngSeed());
  for (std::uint32_t a : {0x7f000037u, 0x7f000039u, 0x7f00003au, 0x7f00003cu, 0x0a000001u, 0x0a010001u,
                          0x0a010201u, 0x01020304u}) {
    INFO(a);
    CHECK(same(acl->lookup4(a), text.lookup4(a)));
  }
  for (int i = 0; i < 2000; ++i) {
    const std::uint32_t a =
        (i % 2 == 0 ? 0x0a000000u : 0x7f000000u) | (static_cast<std::uint32_t>(gen()) & 0x0101ffu);
    CHECK(same(acl->lookup4(a), text.lookup4(a)));
    std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
    b[5] = static_cast<std::uint8_t>(gen() % 3);
    b[15] = static_cast<std::uint8_t>(gen());
    if (i % 3 == 0)
      b = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, static_cast<std::uint8_t>(gen()), 0, 1};
    CHECK(same(acl->lookup6(b), text.lookup6(b)));
  }
}

std::string ip(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string rev(std::uint32_t a) {
  return std::to_string(a & 255) + "." + std::to_string((a >> 8) & 255) + "." +
         std::to_string((a >> 16) & 255) + "." + std::to_string(a >> 24);
}

TEST_CASE("image: random ip4set data answers as parsed text", "[image]") {
  std::mt19937 gen(Catch::rngSeed());
  auto rng = [&gen]() -> std::uint32_t { return static_cast<std::uint32_t>(gen()); };
  for (int round = 0; round < 8; ++round) {
    // Addresses cluster in 10.0.0.0/16 so that entries overlap and conflict.
    auto addr = [&] { return 0x0a000000u | (rng() & 0xffffu); };
    std::string data;
    const std::uint32_t n = 50 + rng() % 300;
    const std::uint32_t values = 1 + rng() % (round % 2 == 0 ? 3u : 400u);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t a = addr();
      const unsigned kind = rng() % 6;
      std::string line = kind == 0 ? "!" : "";
      if (kind <= 2)
        line += ip(a);
      else if (kind == 3)
        line += ip(a & 0xffffff00u) + "/24";
      else
        line += ip(a) + "-" + ip(a + (rng() % 700));
      if (kind != 0)
        line += " :127.0.0." + std::to_string(2 + rng() % 5) + ":v" + std::to_string(rng() % values);
      data += line + "\n";
    }
    std::vector<std::string> names;
    for (int i = 0; i < 300; ++i) names.push_back(rev(addr()) + ".bl");
    for (int i = 0; i < 20; ++i) names.push_back(std::to_string(rng() % 256) + ".0.10.bl");
    INFO("data:\n" << data);
    check_round_trip("ip4set", data, names);
  }
}

TEST_CASE("image: a large ip4set (direct indexes) answers as parsed text", "[image]") {
  // Over 1024 /16s and 4096 intervals: the image's dataset builds the top-16-bit indexes
  // at open, as the parsed one does.
  std::mt19937 gen(Catch::rngSeed());
  auto rng = [&gen]() -> std::uint32_t { return static_cast<std::uint32_t>(gen()); };
  std::string data;
  std::vector<std::string> names;
  for (int i = 0; i < 6000; ++i) {
    const std::uint32_t a = rng();
    data += (i % 11 == 0 ? "!" : "") + ip(a);
    if (i % 11 != 0) data += " :127.0.0." + std::to_string(2 + rng() % 5) + ":v" + std::to_string(rng() % 7);
    data += "\n";
    if (i % 10 == 0) {
      names.push_back(rev(a) + ".bl");
      names.push_back(rev(a + 1) + ".bl");
    }
  }
  for (int i = 0; i < 200; ++i) names.push_back(rev(rng()) + ".bl");
  check_round_trip("ip4set", data, names);
}

TEST_CASE("image: random dnset data answers as parsed text", "[image]") {
  std::mt19937 gen(Catch::rngSeed());
  auto rng = [&gen]() -> std::uint32_t { return static_cast<std::uint32_t>(gen()); };
  const std::vector<std::string> labels = {"a", "b", "c", "mail", "x1"};
  auto name = [&](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += labels[rng() % labels.size()] + ".";
    return s + "com";
  };
  for (int round = 0; round < 8; ++round) {
    std::string data;
    for (int i = 0; i < 120; ++i) {
      const unsigned kind = rng() % 7;
      std::string line = kind == 0 ? "!" : "";
      line += kind == 1 ? "*." : kind == 2 ? "." : "";
      line += name(1 + static_cast<int>(rng() % 3));
      if (kind != 0)
        line += " :127.0.0." + std::to_string(2 + rng() % 4) + ":t" + std::to_string(rng() % 3) + " $";
      data += line + "\n";
    }
    std::vector<std::string> names;
    for (int i = 0; i < 200; ++i) names.push_back(name(static_cast<int>(rng() % 5)) + ".bl");
    INFO("data:\n" << data);
    check_round_trip("dnset", data, names);
  }
}

TEST_CASE("image: random ip4trie, ip4tset, ip6trie, ip6tset and generic data answer as parsed text",
          "[image]") {
  std::mt19937 gen(Catch::rngSeed());
  auto rng = [&gen]() -> std::uint32_t { return static_cast<std::uint32_t>(gen()); };
  auto hex = [](std::uint32_t v) {
    std::array<char, 8> b{};
    const int n = std::snprintf(b.data(), b.size(), "%x", v & 0xffffu);
    return std::string(b.data(), static_cast<std::size_t>(n));
  };
  for (int round = 0; round < 4; ++round) {
    std::string trie4, tset4, trie6, tset6 = ":3:six $\n", generic;
    std::vector<std::string> names4, names6, gnames;
    for (int i = 0; i < 150; ++i) {
      const std::uint32_t a = 0x0a000000u | (rng() & 0xffffu);
      const unsigned bits = 16 + rng() % 17;
      const std::uint32_t net = bits == 32 ? a : a & ~((1u << (32 - bits)) - 1u);
      trie4 += std::string(rng() % 5 == 0 ? "!" : "") + ip(net) + "/" + std::to_string(bits) + " :127.0.0." +
               std::to_string(2 + rng() % 4) + ":t" + std::to_string(rng() % 3) + " $\n";
      tset4 += ip(a) + "\n";
      names4.push_back(rev(a) + ".bl");
      names4.push_back(rev(0x0a000000u | (rng() & 0xffffu)) + ".bl");
      const std::string p6 = "2001:db8:" + hex(rng() % 8) + ":" + hex(rng() % 8);
      trie6 += std::string(rng() % 5 == 0 ? "!" : "") + p6 + "::/" + std::to_string(48 + rng() % 3 * 16) +
               " :" + std::to_string(2 + rng() % 4) + ":v $\n";
      tset6 += std::string(rng() % 4 == 0 ? "!" + p6 + "::" + hex(rng() % 4) : p6) + "\n";
      const std::string host = p6 + "::" + hex(rng() % 4);
      names6.push_back(testing::rev6(host) + ".bl");
      const std::string g = "n" + std::to_string(rng() % 40) + (rng() % 2 == 0 ? ".sub" : "");
      generic +=
          g + (rng() % 2 == 0 ? " A 127.0.0." + std::to_string(rng() % 256) : " TXT t" + std::to_string(i)) +
          "\n";
      gnames.push_back(g + ".bl");
      gnames.push_back("sub.bl");
    }
    INFO("round " << round);
    check_round_trip("ip4trie", trie4, names4);
    check_round_trip("ip4tset", tset4, names4);
    check_round_trip("ip6trie", trie6, names6);
    check_round_trip("ip6tset", tset6, names6);
    check_round_trip("generic", generic, gnames);
  }
}

TEST_CASE("image: truncated and corrupted images are refused", "[image]") {
  testing::LoadedZone l = testing::load_files("bl", "ip4set", {{"f", kIp4Data}});
  REQUIRE(l.error.is_ok());
  auto image = zones::write_image(*l.snap->zones().at(0).datasets.at(0));
  REQUIRE(image.is_ok());
  std::vector<std::uint8_t> bytes = image.value();

  auto open = [](const std::vector<std::uint8_t>& b) { return zones::open_image(b, nullptr); };
  REQUIRE(open(bytes).is_ok());

  std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 5);
  CHECK_THAT(std::string(open(cut).status().message()), Catch::Contains("dataset image: truncated"));
  std::vector<std::uint8_t> tiny(bytes.begin(), bytes.begin() + 10);
  CHECK_THAT(std::string(open(tiny).status().message()), Catch::Contains("dataset image: truncated"));

  // Any flipped bit after the first 16 bytes is caught by the checksum; every byte once.
  for (std::size_t pos = 16; pos < bytes.size(); ++pos) {
    std::vector<std::uint8_t> bad = bytes;
    bad[pos] ^= 0x10;
    INFO("flipped byte " << pos);
    CHECK_FALSE(open(bad).is_ok());
  }
  std::mt19937 gen(Catch::rngSeed());
  auto rng = [&gen]() -> std::uint32_t { return static_cast<std::uint32_t>(gen()); };
  for (int i = 0; i < 50; ++i) {
    std::vector<std::uint8_t> bad = bytes;
    const std::size_t pos = 16 + rng() % (bad.size() - 16);
    bad[pos] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    INFO("flipped byte " << pos);
    const std::string msg(open(bad).status().message());
    // A flip in the length field that claims more bytes reads as a cut image.
    const bool length_field = pos >= 24 && pos < 32;
    CHECK((msg == "dataset image: checksum mismatch (corrupted)" ||
           (length_field && msg.rfind("dataset image: truncated: header says ", 0) == 0)));
  }
  std::vector<std::uint8_t> magic = bytes;
  magic[0] = 'X';
  CHECK(std::string(open(magic).status().message()) == "dataset image: bad magic (not an image)");
  std::vector<std::uint8_t> format = bytes;
  format[8] = 99;
  CHECK(std::string(open(format).status().message()) ==
        "dataset image: format 99, this build reads format " + std::to_string(zones::kImageFormat));
}

}  // namespace
}  // namespace fastrbl::loader
