// Dump tests (zones/dump.h), table-driven: each row is a data file of one dataset type and
// the exact text its zone dumps to. The shapes follow Debian's rbldnsd 1.0~20210120 `-d`
// (checked by hand against it; tests/integration/test_dump.cc compares with it directly).
// Then the round-trip property: the answers the dump implies, read back by DumpModel with
// rbldnsd's dataset rules, equal the answers the loaded data gives, for every address or
// name the dump mentions and their neighbours, on fixed and on random data.

#include "tests/loader/loader_test_util.h"
#include "tests/support/dump_model.h"
#include "zones/dump.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace fastrbl::loader {
namespace {

using testing::DumpModel;

// The dump of every zone of the snapshot (without the two header lines).
std::string dump_zones(const zones::Snapshot& snap) {
  std::string out;
  zones::StringDumpSink sink(out);
  zones::DumpWriter w(sink);
  for (const zones::Zone& z : snap.zones()) zones::dump_zone(z, w);
  return out;
}

struct Row {
  std::string type;
  std::string data;
  std::string dump;
};

TEST_CASE("dump: each dataset type writes its index in rbldnsd's -d shape") {
  const std::vector<Row> rows = {
      {"ip4set",
       "$SOA 1w ns1.ex.com admin.ex.com 42 2h 2h 1w 1h\n$NS 1d ns1.ex.com ns2.ex.com\n$TTL 600\n"
       ":127.0.0.2:Listed $\n1.2.3.4\n5.6.7.8 :4\n5.6.7.8 :5:other\n10.1.0.0/22\n!10.1.1.0/24\n"
       "10.1.1.5\n192.168.1.254-192.168.2.1\n",
       "$ORIGIN\tbl.\n"
       "@\t604800\tSOA\tns1.ex.com.\tadmin.ex.com.\t(42 7200 7200 604800 3600)\n"
       "\t86400\tNS\tns1.ex.com.\n\t86400\tNS\tns2.ex.com.\n"
       "$TTL 600\n"
       "4.3.2.1\tA\t127.0.0.2\n\tTXT\t\"Listed 1.2.3.4\"\n"
       "8.7.6.5\tA\t127.0.0.4\n\tTXT\t\"Listed 5.6.7.8\"\n"
       "8.7.6.5\tA\t127.0.0.5\n\tTXT\t\"other\"\n"
       "*.0.1.10\tA\t127.0.0.2\n\tTXT\t\"Listed 10.1.0.0\"\n"
       "5.1.1.10\tA\t127.0.0.2\n\tTXT\t\"Listed 10.1.1.5\"\n"
       "*.2.1.10\tA\t127.0.0.2\n\tTXT\t\"Listed 10.1.2.0\"\n"
       "*.3.1.10\tA\t127.0.0.2\n\tTXT\t\"Listed 10.1.3.0\"\n"
       "254.1.168.192\tA\t127.0.0.2\n\tTXT\t\"Listed 192.168.1.254\"\n"
       "255.1.168.192\tA\t127.0.0.2\n\tTXT\t\"Listed 192.168.1.255\"\n"
       "0.2.168.192\tA\t127.0.0.2\n\tTXT\t\"Listed 192.168.2.0\"\n"
       "1.2.168.192\tA\t127.0.0.2\n\tTXT\t\"Listed 192.168.2.1\"\n"},
      {"ip4tset", ":1.2.3.4:tx $\n1.2.3.5\n1.2.3.4\n1.2.3.5\n",
       "$ORIGIN\tbl.\n$TTL 2100\n4.3.2.1\tA\t1.2.3.4\n\tTXT\t\"tx "
       "1.2.3.4\"\n5.3.2.1\tA\t1.2.3.4\n\tTXT\t\"tx 1.2.3.5\"\n"},
      {"ip4trie", ":3:t $\n10.0.0.0/15\n!10.1.0.0/16\n10.1.2.0/24 :4\n192.168.0.0/31\n",
       "$ORIGIN\tbl.\n$TTL 2100\n"
       "*.0.10\tA\t127.0.0.3\n\tTXT\t\"t 10.0.0.0\"\n"
       "*.2.1.10\tA\t127.0.0.4\n\tTXT\t\"t 10.1.2.0\"\n"
       "0.0.168.192\tA\t127.0.0.3\n\tTXT\t\"t 192.168.0.0\"\n"
       "1.0.168.192\tA\t127.0.0.3\n\tTXT\t\"t 192.168.0.1\"\n"},
      {"ip6trie", ":2:six $\n2001:db8::/47\n!2001:db8:1::/48\n2001:db8:1:2::/64 :3:sub\n",
       "$ORIGIN\tbl.\n$TTL 2100\n"
       "*.0.0.0.0.8.b.d.0.1.0.0.2\tA\t127.0.0.2\n\tTXT\t\"six 2001:db8::\"\n"
       "*.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2\tA\t127.0.0.3\n\tTXT\t\"sub\"\n"},
      {"ip6tset", ":4:tset $\n2001:20fe:23:41ed\n!2001:20fe:23:41ed::2\n",
       "$ORIGIN\tbl.\n$TTL 2100\n"
       "*.d.e.1.4.3.2.0.0.e.f.0.2.1.0.0.2\tA\t127.0.0.4\n\tTXT\t\"tset 2001:20fe:23:41ed::\"\n"
       "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.e.1.4.3.2.0.0.e.f.0.2.1.0.0.2\tCNAME\texcluded\n"},
      {"dnset",
       "$TTL 300\n:3:Listed \"q\" \\ $\nexample.com\n*.wild.com :4:wild $\n.both.org\n!ex.both.org\n"
       "!*.sub.both.org\nspecial$.com\ntwo.net :6:a\ntwo.net :7:b\nnotxt.net :8:\n",
       "$ORIGIN\tbl.\n$TTL 300\n"
       "example.com\tA\t127.0.0.3\n\tTXT\t\"Listed \\\"q\\\" \\\\ example.com\"\n"
       "both.org\tA\t127.0.0.3\n\tTXT\t\"Listed \\\"q\\\" \\\\ both.org\"\n"
       "ex.both.org\tCNAME\texcluded\n"
       "special\\$.com\tA\t127.0.0.3\n\tTXT\t\"Listed \\\"q\\\" \\\\ special\\\\$.com\"\n"
       "two.net\tA\t127.0.0.6\n\tTXT\t\"a\"\n"
       "two.net\tA\t127.0.0.7\n\tTXT\t\"b\"\n"
       "notxt.net\tA\t127.0.0.8\n"
       "*.wild.com\tA\t127.0.0.4\n\tTXT\t\"wild wild.com\"\n"
       "*.both.org\tA\t127.0.0.3\n\tTXT\t\"Listed \\\"q\\\" \\\\ both.org\"\n"
       "*.sub.both.org\tCNAME\texcluded\n"},
      {"generic",
       "$SOA 1w ns1.bl admin.ex.com 42 2h 2h 1w 1h\n$NS 1d ns1.bl\n$TTL 1h\n@ A 127.0.0.8\n"
       "@ 300 TXT \"apex text\"\n@ MX 10 mx.example.com\nns1 A 192.0.2.1\nwww TXT with \"inner\" $ here\n",
       "$ORIGIN\tbl.\n@\t604800\tSOA\tns1.bl.\tadmin.ex.com.\t(42 7200 7200 604800 "
       "3600)\n\t86400\tNS\tns1.bl.\n"
       "$TTL 3600\n"
       "@\t3600\tA\t127.0.0.8\n\t3600\tMX\t10\tmx.example.com.\n\t300\tTXT\t\"apex text\"\n"
       "ns1\t3600\tA\t192.0.2.1\n"
       "www\t3600\tTXT\t\"with \\\"inner\\\" $ here\"\n"},
      {"combined",
       "$NS 1h ns.ex.com\n$TTL 900\n$DATASET ip4set:proxy proxies @\n:2:Open proxy $\n127.0.0.2\n"
       "$DATASET dnset:dom dom.sub\n$TTL 60\nbad.com :3:bad $\n$DATASET generic:common relays\nwww A "
       "127.0.0.8\n",
       "$ORIGIN\tbl.\n@\t3600\tNS\tns.ex.com.\n$TTL 900\n"
       "$ORIGIN\tdom.sub.bl.\n$TTL 60\nbad.com\tA\t127.0.0.3\n\tTXT\t\"bad bad.com\"\n"
       "$ORIGIN\tproxies.bl.\n$TTL 900\n2.0.0.127\tA\t127.0.0.2\n\tTXT\t\"Open proxy 127.0.0.2\"\n"
       "$ORIGIN\trelays.bl.\n$TTL 900\nwww\t900\tA\t127.0.0.8\n"
       "$ORIGIN\tbl.\n$TTL 900\n2.0.0.127\tA\t127.0.0.2\n\tTXT\t\"Open proxy 127.0.0.2\"\n"},
  };
  for (const Row& r : rows) {
    INFO(r.type << ": " << r.data);
    const testing::LoadedZone l = testing::load_files("bl", r.type, {{"f", r.data}});
    REQUIRE(l.error.is_ok());
    CHECK(dump_zones(*l.snap) == r.dump);
  }
}

TEST_CASE("dump: zones in lookup order, an acl prints nothing, the header names the version") {
  testing::TempDir dir;
  dir.write("a", "1.2.3.4\n");
  dir.write("n", "$NS 1h ns.x.ex\nexample.com\n");
  dir.write("acl", ":refuse\n127.0.0.0/8\n");
  testing::LogCapture log;
  testing::ScopedChdir cd(dir.path());
  auto snap = load_snapshot({"x.ex:acl:acl", "x.ex:ip4set:a", "sub.x.ex:dnset:n", "x.ex:dnset:n"}, {});
  REQUIRE(snap.is_ok());
  std::string out;
  zones::StringDumpSink sink(out);
  zones::dump_snapshot(*snap.value(), 1800000000, "fastrbl 9.9", sink);
  const std::string head = "; zone dump made ";
  REQUIRE(out.rfind(head, 0) == 0);
  const std::size_t nl = out.find('\n');
  CHECK(nl - head.size() == 24);  // ctime's "Www Mmm dd hh:mm:ss yyyy"
  CHECK(out.substr(nl + 1) ==
        "; fastrbl 9.9\n"
        "$ORIGIN\tsub.x.ex.\n@\t3600\tNS\tns.x.ex.\n$TTL 2100\nexample.com\tA\t127.0.0.2\n"
        "$ORIGIN\tx.ex.\n@\t3600\tNS\tns.x.ex.\n$TTL 2100\n4.3.2.1\tA\t127.0.0.2\n$TTL "
        "2100\nexample.com\tA\t127.0.0.2\n");
}

TEST_CASE("dump: TXT text is quoted so that a master-file parser reads the same bytes") {
  CHECK(zones::quote_txt("plain") == "\"plain\"");
  CHECK(zones::quote_txt("a \"q\" b") == "\"a \\\"q\\\" b\"");
  CHECK(zones::quote_txt("back\\slash") == "\"back\\\\slash\"");
  CHECK(zones::quote_txt(std::string("tab\there\x7f\x01", 10)) == "\"tab\\009here\\127\\001\"");
  CHECK(zones::quote_txt("caf\xc3\xa9") == "\"caf\xc3\xa9\"");  // 8-bit bytes stay as they are
}

TEST_CASE("dump: a failed write is reported once the dump is finished") {
  std::FILE* f = std::fopen("/dev/full", "w");
  REQUIRE(f != nullptr);
  zones::FileDumpSink sink(f);
  for (int i = 0; i < 2000; ++i) sink.write("0123456789abcdef0123456789abcdef\n");
  const core::Status s = sink.finish();
  std::fclose(f);
  CHECK(s.message() == "unable to write dump: No space left on device");
}

// --- Round trips: the dump implies the answers the data gives ----------------------------

std::string reversed4(std::uint32_t a) {
  return std::to_string(a & 255u) + "." + std::to_string((a >> 8) & 255u) + "." +
         std::to_string((a >> 16) & 255u) + "." + std::to_string(a >> 24);
}

// Every probe the dump names, plus `extra`: the data's answer equals the dump's.
void check_ip4_round_trip(const std::string& type, const std::string& data, std::vector<std::uint32_t> extra,
                          const std::string& sub = "") {
  const testing::LoadedZone l = testing::load_files("bl", type, {{"f", data}});
  REQUIRE(l.error.is_ok());
  const std::string text = dump_zones(*l.snap);
  const DumpModel model(text);
  const std::string zone = sub.empty() ? "bl." : sub + ".bl.";
  std::vector<std::uint32_t> probes = model.ip4_probes(zone);
  probes.insert(probes.end(), extra.begin(), extra.end());
  REQUIRE(!probes.empty());
  for (const std::uint32_t a : probes) {
    INFO(type << " " << DumpModel::dotted(a));
    const testing::Answer ans = testing::ask(*l.snap, reversed4(a) + "." + zone);
    CHECK(ans.rrs == model.ip4(zone, a));
  }
}

TEST_CASE("dump round trip: ip4set, ip4trie and ip4tset answers survive the dump") {
  const std::string set =
      ":127.0.0.2:Listed $\n10.0.0.0/8\n!10.1.0.0/16\n10.1.2.0/24 :3:x $\n!10.1.2.3\n192.168.1.0/25\n"
      "172.16.0.0/12\n1.2.3.4-1.2.3.10\n5.6.7.8 :4\n5.6.7.8 :5:other $\n!172.20.0.0/14\n172.21.3.4\n";
  check_ip4_round_trip("ip4set", set, {0x0a000001, 0x0a010001, 0x0a010203, 0xac150304, 0xac140000});
  const std::string trie =
      ":2:trie $\n10.0.0.0/8\n!10.1.0.0/16\n10.1.2.0/23 :3:sub\n192.168.0.0/30\n100.0.0.0/6 :9:b\n";
  check_ip4_round_trip("ip4trie", trie, {0x0a010203, 0x0a010001, 0x64000000, 0x67ffffff});
  check_ip4_round_trip("ip4tset", ":1.2.3.4:tx $\n1.2.3.5\n1.2.3.4\n9.9.9.9\n", {0x01020306});
  const std::string comb = "$DATASET ip4set:p proxies\n:2:Open proxy $\n127.0.0.0/30\n!127.0.0.1\n";
  check_ip4_round_trip("combined", comb, {0x7f000001}, "proxies");
}

TEST_CASE("dump round trip: random ip4set and ip4trie data") {
  std::mt19937 rng(20260401);
  auto rnd = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  for (int round = 0; round < 12; ++round) {
    std::string set = ":127.0.0.2:L $\n";
    std::string trie = ":127.0.0.2:L $\n";
    std::vector<std::uint32_t> extra;
    for (int i = 0; i < 25; ++i) {
      // Addresses bunched in 10.0.0.0/14 so that entries overlap.
      const std::uint32_t base = 0x0a000000u | rnd(1u << 18);
      const int bits = 14 + static_cast<int>(rnd(19));
      const std::uint32_t mask = bits == 32 ? 0xffffffffu : ~((std::uint32_t{1} << (32 - bits)) - 1u);
      const std::uint32_t net = base & mask;
      const std::string cidr = DumpModel::dotted(net) + "/" + std::to_string(bits);
      const std::string value =
          rnd(3) == 0 ? " :" + std::to_string(3 + rnd(3)) + ":v" + std::to_string(rnd(3)) + " $" : "";
      const bool excl = rnd(4) == 0;
      set += (excl ? "!" : "") + cidr + (excl ? "" : value) + "\n";
      trie += (excl ? "!" : "") + cidr + (excl ? "" : value) + "\n";
      if (rnd(3) == 0) {
        const std::uint32_t end = base + rnd(70000);
        set += DumpModel::dotted(base) + "-" + DumpModel::dotted(end) + value + "\n";
      }
      extra.push_back(base);
      extra.push_back(net);
    }
    INFO("round " << round);
    check_ip4_round_trip("ip4set", set, extra);
    check_ip4_round_trip("ip4trie", trie, extra);
  }
}

TEST_CASE("dump round trip: ip6trie and ip6tset answers survive the dump") {
  auto addr = [](const char* text) {
    std::array<std::uint8_t, 16> a{};
    REQUIRE(::inet_pton(AF_INET6, text, a.data()) == 1);
    return a;
  };
  auto reversed6 = [](const std::array<std::uint8_t, 16>& a) {
    std::string s;
    for (int i = 31; i >= 0; --i) {
      const auto u = static_cast<std::size_t>(i);
      s += "0123456789abcdef"[(i % 2 == 0 ? a[u / 2] >> 4 : a[u / 2]) & 15u];
      s += '.';
    }
    return s;
  };
  struct R {
    std::string type, data;
    std::vector<const char*> probes;
  };
  const std::vector<R> rows = {
      {"ip6trie",
       ":2:six $\n2001:db8::/32\n!2001:db8:1::/48\n2001:db8:1:2::/63 :3:sub $\n2001:db8:ff::1 "
       ":4\n2002::/15\n",
       {"2001:db8::1", "2001:db8:1::5", "2001:db8:1:2::9", "2001:db8:1:3:ffff::", "2001:db8:1:4::",
        "2001:db8:ff::1", "2001:db8:ff::2", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db9::", "2002::", "2003:ffff::1", "2004::", "2001:db7:ffff::"}},
      {"ip6tset",
       ":4:tset $\n2001:20fe:23:41ed\n!2001:20fe:23:41ed::2\n2001:20fe:23:41ee\n",
       {"2001:20fe:23:41ed::1", "2001:20fe:23:41ed::2", "2001:20fe:23:41ee:1:2:3:4", "2001:20fe:23:41ef::"}},
  };
  for (const R& r : rows) {
    const testing::LoadedZone l = testing::load_files("bl", r.type, {{"f", r.data}});
    REQUIRE(l.error.is_ok());
    const DumpModel model(dump_zones(*l.snap));
    for (const char* p : r.probes) {
      INFO(r.type << " " << p);
      const auto a = addr(p);
      CHECK(testing::ask(*l.snap, reversed6(a) + "bl.").rrs == model.ip6("bl.", a));
    }
  }
}

TEST_CASE("dump round trip: dnset answers survive the dump") {
  const std::string data =
      ":3:Listed $\nexample.com\n*.wild.com :4:wild $\n.both.org\n!ex.both.org\n!*.sub.both.org\n"
      "*.ex.both.org :5\ntwo.net :6:a\ntwo.net :7:b\n!two.net\nthree.net :6:a\nthree.net :6:a\n";
  const testing::LoadedZone l = testing::load_files("bl", "dnset", {{"f", data}});
  REQUIRE(l.error.is_ok());
  const DumpModel model(dump_zones(*l.snap));
  for (const char* n : {"example.com", "a.example.com", "wild.com", "a.wild.com", "a.b.wild.com", "both.org",
                        "x.both.org", "ex.both.org", "y.ex.both.org", "sub.both.org", "z.sub.both.org",
                        "two.net", "three.net", "other.net"}) {
    INFO(n);
    CHECK(testing::ask(*l.snap, std::string(n) + ".bl.").rrs == model.name("bl.", n));
  }
}

}  // namespace
}  // namespace fastrbl::loader
