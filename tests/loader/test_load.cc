// Tests for loader/load.h: zone specs, dataset sharing, zone assembly (SOA/NS/glue,
// serial 0, flags, stamps, expiry) and load errors. Messages follow Debian's rbldnsd.

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

constexpr std::time_t kNow = 1800000000;

LoadOptions opts_now() {
  LoadOptions o;
  o.now = kNow;
  return o;
}

const zones::Zone* zone(const zones::Snapshot& s, const std::string& name) {
  auto n = core::Name::from_text(name).value();
  for (const zones::Zone& z : s.zones())
    if (z.name == n) return &z;
  return nullptr;
}

Lines info_lines(const LogCapture& log) {
  Lines out;
  for (const std::string& m : log.messages())
    if (m.rfind("I: ", 0) == 0) out.push_back(m.substr(3));
  return out;
}

TEST_CASE("zone spec: parsing", "[load]") {
  struct Row {
    std::string spec;
    std::string zone, type, files_spec;
    Lines files;
  };
  const std::vector<Row> rows = {
      {"bl:ip4set:a", "bl", "ip4set", "a", {"a"}},
      {"BL.Example.:ip4set:a,b:c", "bl.example", "ip4set", "a,b:c", {"a", "b", "c"}},
      {"bl:ip4set:a,,b:", "bl", "ip4set", "a,,b:", {"a", "b"}},
      {"a..b:ip4set:f", "a.b", "ip4set", "f", {"f"}},
      {"bl:ip4set:/abs/path/f.gz", "bl", "ip4set", "/abs/path/f.gz", {"/abs/path/f.gz"}},
  };
  for (const Row& r : rows) {
    auto z = parse_zone_spec(r.spec);
    INFO(r.spec);
    REQUIRE(z.is_ok());
    CHECK(z.value().zone.to_text() == r.zone);
    CHECK(z.value().type == r.type);
    CHECK(z.value().files_spec == r.files_spec);
    CHECK(z.value().files == r.files);
  }
}

TEST_CASE("zone spec: errors in rbldnsd's words", "[load]") {
  struct Row {
    std::string spec;
    std::string error;
  };
  const std::vector<Row> rows = {
      {"x", "invalid zone spec `x'"},
      {"bl:ip4set", "invalid zone data specification `ip4set'"},
      {"bl:ip4set:", "missing filenames for ip4set"},
      {"bl:ip4set:,", "missing filenames for ip4set"},
      {"bl:foo:a", "unknown dataset type `foo'"},
      {"bl:foo:", "unknown dataset type `foo'"},
      {"bl::a", "unknown dataset type `'"},
      {"bl:dnhash:a", "unknown dataset type `dnhash'"},
      {":ip4set:a", "missing domain name in `:ip4set:a'"},
      {".:ip4set:a", "missing domain name in `.:ip4set:a'"},
      {std::string(64, 'x') + ":ip4set:a", "invalid domain name `" + std::string(64, 'x') + "'"},
      {"bl:ip4tset:", "missing filenames for ip4tset"},
      {"bl:ip6trie:", "missing filenames for ip6trie"},
      {"bl:acl:", "missing filenames for acl"},
      {"bl:dnset:", "missing filenames for dnset"},
  };
  for (const Row& r : rows) {
    auto z = parse_zone_spec(r.spec);
    INFO(r.spec);
    REQUIRE_FALSE(z.is_ok());
    CHECK(z.status().message() == r.error);
    auto s = load_snapshot({r.spec}, opts_now());
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().message() == r.error);
  }
}

TEST_CASE("load: specs with the same type and file list share one dataset", "[load]") {
  TempDir dir;
  dir.write("a", "1.2.3.4\n", 1700000000);
  dir.write("b", "5.6.7.8\n", 1700000100);
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto snap =
      load_snapshot({"bl:ip4set:a,b", "bl2:ip4set:a,b", "bl3:ip4set:a:b", "bl4:ip4set:a"}, opts_now());
  REQUIRE(snap.is_ok());
  const auto& s = *snap.value();
  REQUIRE(s.zones().size() == 4);
  CHECK(zone(s, "bl")->datasets[0] == zone(s, "bl2")->datasets[0]);
  CHECK(zone(s, "bl")->datasets[0] != zone(s, "bl3")->datasets[0]);  // "a:b" is another string
  CHECK(info_lines(log) == Lines{"ip4set:a,b: 20231114 221500: e32/24/16/8=2/0/0/0",
                                 "ip4set:a:b: 20231114 221500: e32/24/16/8=2/0/0/0",
                                 "ip4set:a: 20231114 221320: e32/24/16/8=1/0/0/0"});
  CHECK(testing::ask(s, "8.7.6.5.bl3").found);
  CHECK_FALSE(testing::ask(s, "8.7.6.5.bl4").found);
}

TEST_CASE("load: several datasets in one zone are all asked", "[load]") {
  TempDir dir;
  dir.write("dialups", "!1.2.3.4\n1.2.3.0/24 :3:dialup\n");
  dir.write("spam", "1.2.3.4 :2:spam\n");
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto snap = load_snapshot({"bl:ip4set:dialups", "bl:ip4set:spam"}, opts_now());
  REQUIRE(snap.is_ok());
  const zones::Zone* z = zone(*snap.value(), "bl");
  REQUIRE(z != nullptr);
  CHECK(z->datasets.size() == 2);
  CHECK(z->flags == zones::kWantsIp4);
  // An exclusion in one dataset does not hide a listing in another (compat 6.6)...
  CHECK(testing::ask(*snap.value(), "4.3.2.1.bl").rrs == Rrs{"A 127.0.0.2 2100", "TXT \"spam\" 2100"});
  CHECK(testing::ask(*snap.value(), "5.3.2.1.bl").rrs == Rrs{"A 127.0.0.3 2100", "TXT \"dialup\" 2100"});
  // ...but within one dataset it does.
  auto one = load_snapshot({"bl:ip4set:dialups,spam"}, opts_now());
  REQUIRE(one.is_ok());
  CHECK_FALSE(testing::ask(*one.value(), "4.3.2.1.bl").found);
}

TEST_CASE("load: the most specific zone wins whatever the order", "[load]") {
  TempDir dir;
  dir.write("p", "1.2.3.4 :2:parent\n");
  dir.write("c", "1.2.3.4 :3:child\n");
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto snap = load_snapshot({"par.t:ip4set:p", "sub.par.t:ip4set:c"}, opts_now());
  REQUIRE(snap.is_ok());
  CHECK(testing::ask(*snap.value(), "4.3.2.1.sub.par.t").rrs ==
        Rrs{"A 127.0.0.3 2100", "TXT \"child\" 2100"});
  CHECK(testing::ask(*snap.value(), "4.3.2.1.par.t").rrs == Rrs{"A 127.0.0.2 2100", "TXT \"parent\" 2100"});
}

TEST_CASE("load: SOA and NS come from the first dataset that has them", "[load]") {
  TempDir dir;
  dir.write("d1", "$NS 0 ns1.x ns1.x NS1.X -skipped ns2.x\n1.2.3.4\n", 1700000000);
  dir.write("d2", "$TTL 5\n$SOA 0 NS.X. admin.X 0 1h 2h 3h 4h\n$TTL 7\n$NS 0 other.x\n$SOA 9 a b 1 1 1 1 1\n",
            1700000500);
  dir.write("d3", "$SOA 60 ns.y admin.y 42 1 2 3 4\n", 1600000000);
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto snap = load_snapshot({"bl:ip4set:d1", "bl:ip4set:d2", "bl2:ip4set:d3", "bl2:ip4set:d2"}, opts_now());
  REQUIRE(snap.is_ok());
  const zones::Zone* bl = zone(*snap.value(), "bl");
  REQUIRE(bl->soa);
  CHECK(bl->soa->mname.to_text() == "NS.X");  // case kept
  CHECK(bl->soa->rname.to_text() == "admin.X");
  CHECK(bl->soa->ttl == 5);              // 0: the $TTL in force on that line
  CHECK(bl->soa->serial == 1700000500);  // 0: the zone's newest mtime
  CHECK(bl->soa->refresh == 3600);
  CHECK(bl->soa->retry == 7200);
  CHECK(bl->soa->expire == 10800);
  CHECK(bl->soa->minimum == 14400);
  CHECK(bl->stamp == 1700000500);
  REQUIRE(bl->ns.size() == 2);  // deduplicated ignoring case, '-' names skipped
  CHECK(bl->ns[0].to_text() == "ns1.x");
  CHECK(bl->ns[1].to_text() == "ns2.x");
  CHECK(bl->ns_ttl == 2100);
  CHECK(bl->glue.empty());

  const zones::Zone* bl2 = zone(*snap.value(), "bl2");
  REQUIRE(bl2->soa);
  CHECK(bl2->soa->serial == 42);
  CHECK(bl2->soa->ttl == 60);
  CHECK(bl2->stamp == 1700000500);
  REQUIRE(bl2->ns.size() == 1);
  CHECK(bl2->ns[0].to_text() == "other.x");
  CHECK(bl2->ns_ttl == 7);  // 0: the $TTL in force on that line
}

TEST_CASE("load: $SOA and $NS line forms", "[load]") {
  struct Row {
    std::string data;
    bool soa;
    Lines ns;
    std::uint32_t ns_ttl;
    bool warns;
  };
  const std::vector<Row> rows = {
      {"$SOA 60 ns.x admin.x 42 1h 2h 3h 4h", true, {}, 0, false},
      {"#$SOA 60 ns.x admin.x 42 1h 2h 3h 4h", true, {}, 0, false},
      {";$soa 60 ns.x admin.x 42 1h 2h 3h 4h", true, {}, 0, false},
      {":$Soa\t60\tns.x admin.x 42 1 2 3 4", true, {}, 0, false},
      {"$SOA 60 ns.x admin.x 42 1h 2h 3h", false, {}, 0, true},
      {"$SOA 60 ns.x admin.x 42 1h 2h 3h 4h 5h", false, {}, 0, true},
      {"$SOA 60 ns.x admin.x 4m 1h 2h 3h 4h", false, {}, 0, true},  // the serial takes no unit
      {"$SOAx 60 ns.x admin.x 42 1h 2h 3h 4h", false, {}, 0, true},
      {"$NS 60 -ns1.x ns2.x\n$NS 70 ns3.x", false, {"ns2.x"}, 60, false},
      {"$NS 60 -ns1.x\n$NS 70 ns3.x", false, {"ns3.x"}, 70, false},
      {"$NAMESERVER 60 ns1.x ns1.x NS1.X", false, {"ns1.x"}, 60, false},
      {"$nameserver\t60\tns1.x", false, {"ns1.x"}, 60, false},
      {"#$NS 1h ns1.x", false, {"ns1.x"}, 3600, false},
      {"$NS 60 ns1.x ns2.x..", false, {"ns1.x", "ns2.x"}, 60, false},
      {"$NS 60", false, {}, 0, true},
      {"$NS x ns1.x", false, {}, 0, true},
  };
  for (const Row& r : rows) {
    TempDir dir;
    dir.write("f", r.data + "\n");
    ScopedChdir cd(dir.path());
    LogCapture log;
    auto snap = load_snapshot({"bl:ip4set:f"}, opts_now());
    INFO(r.data);
    REQUIRE(snap.is_ok());
    const zones::Zone* z = zone(*snap.value(), "bl");
    CHECK(z->soa.has_value() == r.soa);
    Lines ns;
    for (const core::Name& n : z->ns) ns.push_back(n.to_text());
    CHECK(ns == r.ns);
    if (!r.ns.empty()) CHECK(z->ns_ttl == r.ns_ttl);
    CHECK(log.warnings() == (r.warns ? Lines{"file f(1): invalid or unrecognized special entry"} : Lines{}));
  }
}

TEST_CASE("load: at most 32 NS names", "[load]") {
  std::string line = "$NS 60";
  for (int i = 0; i < 40; ++i) line += " ns" + std::to_string(i) + ".x";
  TempDir dir;
  dir.write("f", line + "\n");
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto snap = load_snapshot({"bl:ip4set:f"}, opts_now());
  REQUIRE(snap.is_ok());
  CHECK(zone(*snap.value(), "bl")->ns.size() == 32);
  CHECK(log.warnings() == Lines{"zone bl: too many NS records specified, only first 32 will be used"});
}

TEST_CASE("load: glue for NS names inside served zones", "[load]") {
  TempDir dir;
  dir.write("n", "127.0.0.2 :5:x\n$NS 0 2.0.0.127.bl 4.3.2.1.bl2 9.9.9.9.bl2 ns.elsewhere.example\n");
  dir.write("n2", "$TTL 600\n1.2.3.4 :7:y\n1.2.3.4 :8:z\n");
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto snap = load_snapshot({"bl:ip4set:n", "bl2:ip4set:n2"}, opts_now());
  REQUIRE(snap.is_ok());
  const zones::Zone* bl = zone(*snap.value(), "bl");
  REQUIRE(bl->ns.size() == 4);
  Lines glue;
  for (const zones::Glue& g : bl->glue)
    glue.push_back(std::to_string(g.ns_index) + " " + std::to_string(g.a[0]) + "." + std::to_string(g.a[1]) +
                   "." + std::to_string(g.a[2]) + "." + std::to_string(g.a[3]) + " " + std::to_string(g.ttl));
  CHECK(glue == Lines{"0 127.0.0.5 2100", "1 127.0.0.7 600", "1 127.0.0.8 600"});
  CHECK(log.warnings() == Lines{"zone bl: no glue record(s) for 9.9.9.9.bl2 NS found"});
}

TEST_CASE("load: expired data stops a zone from being serviced", "[load]") {
  TempDir dir;
  dir.write("old", "$TIMESTAMP 0 2020-01-01\n1.2.3.4\n");
  dir.write("fresh", "$TIMESTAMP 2020-01-01 2030-01-01\n1.2.3.4\n");
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto snap = load_snapshot({"a:ip4set:old", "b:ip4set:fresh", "c:ip4set:fresh", "c:ip4set:old"}, opts_now());
  REQUIRE(snap.is_ok());
  CHECK_FALSE(zone(*snap.value(), "a")->serviced);
  CHECK(zone(*snap.value(), "b")->serviced);
  CHECK_FALSE(zone(*snap.value(), "c")->serviced);
  CHECK(log.warnings() == Lines{"zone a: zone data expired, zone will not be serviced",
                                "zone c: zone data expired, zone will not be serviced"});
}

TEST_CASE("load: a failed dataset fails the whole load with file and line", "[load]") {
  TempDir dir;
  dir.write("good", "1.2.3.4\n");
  dir.write("future", "1.2.3.4\n\n$TIMESTAMP 2035-01-01\n");
  ScopedChdir cd(dir.path());
  LogCapture log;
  struct Row {
    std::vector<std::string> specs;
    std::string error;
  };
  const std::vector<Row> rows = {
      {{"bl:ip4set:good", "bl2:ip4set:good,missing"},
       "file missing: unable to open file: No such file or directory"},
      {{"bl:ip4set:future"},
       "file future(3): data timestamp is 251222400 sec in the future, aborting loading"},
      {{"bl:ip4set:good", "bad spec"}, "invalid zone spec `bad spec'"},
  };
  for (const Row& r : rows) {
    auto snap = load_snapshot(r.specs, opts_now());
    REQUIRE_FALSE(snap.is_ok());
    CHECK(snap.status().message() == r.error);
  }
}

TEST_CASE("load: load_dataset and build_snapshot can be used separately", "[load]") {
  TempDir dir;
  dir.write("f", "$SOA 0 ns.bl admin.bl 7 1 2 3 4\n1.2.3.4\n", 1700000000);
  ScopedChdir cd(dir.path());
  LogCapture log;
  auto ds = load_dataset("ip4set", "f", {"f"}, opts_now());
  REQUIRE(ds.is_ok());
  REQUIRE(ds.value().files.size() == 1);
  CHECK(ds.value().files[0].path == "f");
  CHECK(ds.value().files[0].mtime == 1700000000);
  CHECK(ds.value().files[0].size == 40);
  CHECK(ds.value().stats == "e32/24/16/8=1/0/0/0");
  CHECK(ds.value().dataset->entries() == 1);
  CHECK(ds.value().dataset->meta().type == "ip4set");
  CHECK(ds.value().dataset->meta().spec == "f");
  auto spec = parse_zone_spec("bl:ip4set:f");
  REQUIRE(spec.is_ok());
  auto snap = build_snapshot({spec.value()}, {ds.value().dataset}, opts_now(), 42);
  CHECK(snap->generation() == 42);
  CHECK(snap->zones()[0].soa->serial == 7);
  CHECK(testing::ask(*snap, "4.3.2.1.bl").found);
  CHECK_FALSE(load_dataset("foo", "f", {"f"}, opts_now()).is_ok());
}

}  // namespace
}  // namespace fastrbl::loader
