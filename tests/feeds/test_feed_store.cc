// FeedStore (feeds/feed_store.h): imports of every format fixture and of the shipped feeds,
// diffs of re-imports (added, removed, kept, expired), the guards keeping the last good
// data, a failing commit leaving the previous state, pushed changes (apply), and rendered
// files read back by the loader and answered through answer(): RFC 5782 test points and
// the multi zone's OR property.

#include "dnsd/test_packets.h"
#include "feeds/feed_store.h"
#include "feeds_test_util.h"
#include "zones/store.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using fastrbl::feeds::ChangeSummary;
using fastrbl::feeds::FeedStore;
using fastrbl::feeds::ImportReport;
using fastrbl::feeds::StoredEntry;
using fastrbl::test::QuerySpec;
using fastrbl::testing::TempDir;
namespace feeds = fastrbl::feeds;
namespace zones = fastrbl::zones;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000;

// A config in a temporary directory, its store, and the FeedStore on both.
struct Env {
  TempDir dir;
  std::shared_ptr<zones::Store> store;
  std::unique_ptr<FeedStore> fs;

  explicit Env(const std::string& config, std::size_t map_size = std::size_t{1} << 30) {
    open(config, map_size);
  }
  void open(const std::string& config, std::size_t map_size = std::size_t{1} << 30) {
    fs.reset();
    store.reset();
    const std::string path = dir.write("feeds.toml", config);
    auto cfg = feeds::load_feed_config(path);
    if (!cfg.is_ok()) FAIL(std::string(cfg.status().message()));
    zones::Store::Options o;
    o.dir = dir.file("db");
    o.map_size = map_size;
    auto s = zones::Store::open(o);
    if (!s.is_ok()) FAIL(std::string(s.status().message()));
    store = s.value();
    auto f = FeedStore::open(store, std::move(cfg).value());
    if (!f.is_ok()) FAIL(std::string(f.status().message()));
    fs = std::move(f).value();
  }
  ImportReport import(const std::string& feed, std::int64_t now) {
    auto r = fs->import(feed, now);
    if (!r.is_ok()) FAIL(std::string(r.status().message()));
    return r.value();
  }
  // `key` or `key origin a:txt` per entry (the latter with `full`).
  std::vector<std::string> keys(const std::string& dataset, bool full = false) {
    auto e = fs->entries(dataset);
    if (!e.is_ok()) FAIL(std::string(e.status().message()));
    std::vector<std::string> out;
    for (const StoredEntry& s : e.value()) {
      if (!full) {
        out.push_back(s.key);
        continue;
      }
      for (const auto& c : s.from) out.push_back(s.key + " " + c.origin + " " + c.a + ":" + c.txt);
    }
    return out;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir.file(name), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

std::string dataset(const std::string& name, const std::string& type, const std::string& extra = "") {
  return "[[dataset]]\nname = \"" + name + "\"\ntype = \"" + type + "\"\nzone = \"" + name +
         ".example\"\noutput = \"" + name + "." + type + "\"\n" + extra + "\n";
}

std::string feed(const std::string& name, const std::string& ds, const std::string& source,
                 const std::string& format, const std::string& extra = "") {
  return "[[feed]]\nname = \"" + name + "\"\ndataset = " + ds + "\nsource = \"" + source + "\"\nformat = \"" +
         format + "\"\n" + extra + "\n";
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The A records of the answer to `name` (type A), as text; empty: not listed.
std::vector<std::string> answer_a(const zones::Snapshot& snap, const std::string& name) {
  fastrbl::dnsd::WorkerState ws;
  auto r = fastrbl::test::ask(snap, {}, QuerySpec(name, "A"), fastrbl::dnsd::Transport::kUdp, ws);
  if (r.pkt == nullptr) return {"unparsable"};
  std::vector<std::string> out;
  for (const std::string& rr : fastrbl::test::rrs(ldns_pkt_answer(r.pkt.get()), true))
    out.push_back(rr.substr(rr.rfind(' ') + 1));
  return out;
}

std::vector<std::string> answer_txt(const zones::Snapshot& snap, const std::string& name) {
  fastrbl::dnsd::WorkerState ws;
  auto r = fastrbl::test::ask(snap, {}, QuerySpec(name, "TXT"), fastrbl::dnsd::Transport::kUdp, ws);
  if (r.pkt == nullptr) return {"unparsable"};
  std::vector<std::string> out;
  for (const std::string& rr : fastrbl::test::rrs(ldns_pkt_answer(r.pkt.get()), true))
    out.push_back(rr.substr(rr.find('"')));
  return out;
}

// "1.2.3.4" -> "4.3.2.1"
std::string reversed(const std::string& ip) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = ip.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(ip.substr(start, dot - start));
  parts.push_back(ip.substr(start));
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : ".") + *it;
  return out;
}

std::string fixture(const std::string& name) { return feeds::testing::fixture_path(name); }

}  // namespace

TEST_CASE("feed store: each format fixture imports the expected entries", "[feed_store]") {
  const std::string cfg =
      dataset("names", "dnset") + dataset("v4", "ip4trie") + dataset("v6", "ip6trie") +
      feed("plain", "[\"names\", \"v4\", \"v6\"]", fixture("plain.txt"), "plain", "max_bad = 1.0") +
      feed("hosts", "\"names\"", fixture("hosts.txt"), "hosts", "max_bad = 1.0") +
      feed("adblock", "\"names\"", fixture("adblock.txt"), "adblock", "max_bad = 1.0") +
      feed("rbldnsd-dnset", "\"names\"", fixture("dnset.txt"), "dnset", "max_bad = 1.0") +
      feed("rpz", "[\"names\", \"v4\", \"v6\"]", fixture("rpz.txt"), "rpz", "max_bad = 1.0") +
      feed("aws", "[\"v4\", \"v6\"]", fixture("aws-ip-ranges.json"), "aws", "max_bad = 1.0") +
      feed("google", "[\"v4\", \"v6\"]", fixture("google-cloud.json"), "google", "max_bad = 1.0") +
      feed("azure", "[\"v4\", \"v6\"]", fixture("azure-servicetags.json"), "azure", "max_bad = 1.0") +
      feed("oracle", "[\"v4\"]", fixture("oracle-public-ip-ranges.json"), "oracle", "max_bad = 1.0") +
      feed("cf4", "[\"v4\"]", fixture("cloudflare-ips-v4.txt"), "cloudflare", "max_bad = 1.0") +
      feed("cf6", "[\"v6\"]", fixture("cloudflare-ips-v6.txt"), "cloudflare", "max_bad = 1.0") +
      feed("geofeed", "[\"v4\", \"v6\"]", fixture("geofeed.csv"), "csv", "max_bad = 1.0\ncsv_tag_column = 4");
  // Each feed on its own store: what it read is exactly what its datasets hold, one key per
  // distinct entry, each contributed by that feed.
  struct Case {
    std::string feed;
    std::vector<std::string> names, v4, v6;
  };
  const std::vector<Case> cases = {
      {"plain",
       {".list-manage.com", "*.safelinks.protection.outlook.com", "!ok.bit.ly", "amzn.to", "bit.ly",
        "go.nasa.gov", "xn--mnchen-3ya.example"},
       {"192.0.2.0/24"},
       {"2001:db8::/32"}},
      {"aws", {}, {"3.5.140.0/22", "52.94.76.0/22"}, {"2600:1f18::/33"}},
      {"cf6", {}, {}, {"2400:cb00::/32", "2606:4700::/32", "2a06:98c0::/29"}},
  };
  for (const Case& c : cases) {
    INFO(c.feed);
    Env env(cfg);
    const ImportReport rep = env.import(c.feed, kT0);
    CHECK_FALSE(rep.refused);
    CHECK(env.keys("names") == sorted(c.names));
    CHECK(env.keys("v4") == sorted(c.v4));
    CHECK(env.keys("v6") == sorted(c.v6));
    CHECK(rep.entries == c.names.size() + c.v4.size() + c.v6.size());
    CHECK(rep.diff.added.size() == rep.entries);
  }
  // Every other fixture: the stored keys are exactly the reader's entries (de-duplicated).
  for (const std::string f :
       {"hosts", "adblock", "rbldnsd-dnset", "rpz", "google", "azure", "oracle", "cf4", "geofeed"}) {
    INFO(f);
    Env env(cfg);
    const feeds::FeedDef* def = env.fs->config().feed(f);
    REQUIRE(def != nullptr);
    auto rr = feeds::read_feed_file(def->format, def->source, def->read);
    REQUIRE(rr.is_ok());
    std::set<std::string> names, v4, v6;
    for (const auto& e : rr.value().domains) names.insert(e.dnset_text());
    for (const auto& e : rr.value().ips) (e.prefix.v6 ? v6 : v4).insert(e.text());
    const ImportReport rep = env.import(f, kT0);
    if (rr.value().complete) {
      CHECK_FALSE(rep.refused);
      CHECK(env.keys("names") == std::vector<std::string>(names.begin(), names.end()));
      CHECK(env.keys("v4") == std::vector<std::string>(v4.begin(), v4.end()));
      CHECK(env.keys("v6") == std::vector<std::string>(v6.begin(), v6.end()));
      CHECK(rep.entries == names.size() + v4.size() + v6.size());
      CHECK(rep.entries > 0);
    }
  }
}

TEST_CASE("feed store: AWS's AMAZON record of a prefix yields to the service record", "[feed_store]") {
  Env env(dataset("v4", "ip4trie") + dataset("v6", "ip6trie") +
          feed("aws", "[\"v4\", \"v6\"]", fixture("aws-ip-ranges.json"), "aws",
               "max_bad = 1.0\ntxt = \"AWS {service} {region}: $\""));
  env.import("aws", kT0);
  auto e = env.fs->entries("v4");
  REQUIRE(e.is_ok());
  REQUIRE(e.value().at(0).key == "3.5.140.0/22");
  CHECK(e.value()[0].from.at(0).txt == "AWS S3 ap-northeast-2: $");
  CHECK(e.value()[0].from.at(0).reason ==
        "provider=aws; service=S3; region=ap-northeast-2; tag=ap-northeast-2");
}

TEST_CASE("feed store: the shipped feeds import offline and serve their test points", "[feed_store]") {
  TempDir out;
  auto cfg = feeds::load_feed_config(std::string(FASTRBL_SOURCE_DIR) + "/etc/feeds/feeds.toml", out.path());
  REQUIRE(cfg.is_ok());
  TempDir db;
  auto store = zones::Store::open({db.path()});
  REQUIRE(store.is_ok());
  auto fs = FeedStore::open(store.value(), cfg.value());
  REQUIRE(fs.is_ok());
  feeds::ImportOptions offline;
  offline.offline = true;
  for (const feeds::FeedDef& f : cfg.value().feeds) {
    INFO(f.name);
    auto r = fs.value()->import(f.name, kT0, offline);
    REQUIRE(r.is_ok());
    CHECK_FALSE(r.value().refused);
    CHECK(r.value().bad == 0);
    CHECK(r.value().entries > 0);
  }
  for (const feeds::DatasetDef& d : cfg.value().datasets) REQUIRE(fs.value()->render(d.name, kT0).is_ok());
  auto snap = fastrbl::test::load(cfg.value().zone_specs());
  REQUIRE(snap != nullptr);
  // Entries of each shipped list, with their value and TXT.
  CHECK(answer_txt(*snap, "evil.tk.tld.feeds.example") ==
        std::vector<std::string>{"\"Domain in an abused TLD (.tk)\""});
  CHECK(answer_a(*snap, "bit.ly.short.feeds.example") == std::vector<std::string>{"127.0.0.4"});
  CHECK(answer_a(*snap, "example.com.short.feeds.example").empty());
  CHECK(answer_txt(*snap, "u1.ct.sendgrid.net.esp.feeds.example") ==
        std::vector<std::string>{"\"ESP click-tracker of SendGrid: sendgrid.net\""});
  CHECK(answer_txt(*snap, "x.awstrack.me.esp.feeds.example") ==
        std::vector<std::string>{"\"ESP click-tracker of Amazon SES: awstrack.me\""});
  CHECK(answer_txt(*snap, "1.0.16.104.cloud.feeds.example") ==
        std::vector<std::string>{"\"Cloudflare network: 104.16.0.1\""});
  CHECK(answer_txt(*snap, "5.0.208.18.cloud.feeds.example") ==
        std::vector<std::string>{"\"AWS EC2 us-east-1: 18.208.0.5\""});
  CHECK(answer_a(*snap, "9.125.142.162.scan.feeds.example") == std::vector<std::string>{"127.0.0.32"});
  CHECK(answer_a(*snap, "9.125.142.162.multi.feeds.example") == std::vector<std::string>{"127.0.0.32"});
  CHECK(answer_a(*snap, "x.bit.ly.multi.feeds.example") == std::vector<std::string>{"127.0.0.4"});
  CHECK(answer_a(*snap, "bit.ly.multi.feeds.example") == std::vector<std::string>{"127.0.0.4"});
  CHECK(answer_a(*snap, "phish.tk.multi.feeds.example") == std::vector<std::string>{"127.0.0.2"});
  // RFC 5782 test points in every shipped zone: 127.0.0.2 / ::ffff:127.0.0.2 / TEST listed,
  // 127.0.0.1 / ::ffff:127.0.0.1 / INVALID not. 127.0.0.1 is never an answer.
  const std::string v6_2 = fastrbl::test::nibbles("0000:0000:0000:0000:0000:ffff:7f00:0002");
  const std::string v6_1 = fastrbl::test::nibbles("0000:0000:0000:0000:0000:ffff:7f00:0001");
  for (const feeds::DatasetDef& d : cfg.value().datasets) {
    INFO(d.name);
    const std::string& z = d.zone;
    switch (d.kind) {
      case feeds::DatasetKind::kDnset:
        CHECK_FALSE(answer_a(*snap, "test." + z).empty());
        CHECK_FALSE(answer_a(*snap, "TEST." + z).empty());
        CHECK(answer_a(*snap, "invalid." + z).empty());
        break;
      case feeds::DatasetKind::kIp4trie:
        CHECK_FALSE(answer_a(*snap, "2.0.0.127." + z).empty());
        CHECK(answer_a(*snap, "1.0.0.127." + z).empty());
        break;
      case feeds::DatasetKind::kIp6trie:
        CHECK_FALSE(answer_a(*snap, v6_2 + "." + z).empty());
        CHECK(answer_a(*snap, v6_1 + "." + z).empty());
        break;
    }
    for (const std::string& q : {"test." + z, "2.0.0.127." + z, v6_2 + "." + z})
      for (const std::string& a : answer_a(*snap, q)) CHECK(a != "127.0.0.1");
  }
  CHECK(answer_a(*snap, "test.multi.feeds.example") == std::vector<std::string>{"127.0.0.14"});
  CHECK(answer_a(*snap, "2.0.0.127.multi.feeds.example") == std::vector<std::string>{"127.0.0.48"});
}

TEST_CASE("feed store: a re-import of a changed source commits the diff", "[feed_store]") {
  Env env(dataset("names", "dnset") + feed("f", "\"names\"", "list.txt", "plain", "max_shrink = 1.0"));
  env.dir.write("list.txt", "a.example\nb.example\nc.example\n");
  // The same file named by a file:// URL reads the same.
  {
    Env other(dataset("names", "dnset") +
              feed("u", "\"names\"", "file://" + env.dir.file("list.txt"), "plain", "max_shrink = 1.0"));
    CHECK(other.import("u", kT0).source_used == env.dir.file("list.txt"));
    CHECK(other.keys("names") == std::vector<std::string>{"a.example", "b.example", "c.example"});
  }
  ImportReport r1 = env.import("f", kT0);
  CHECK(sorted(r1.diff.added) ==
        std::vector<std::string>{"names a.example", "names b.example", "names c.example"});
  CHECK(r1.diff.kept == 0);
  env.dir.write("list.txt", "b.example\nc.example # now with a comment\nd.example\n");
  ImportReport r2 = env.import("f", kT0 + 60);
  CHECK(r2.diff.added == std::vector<std::string>{"names d.example"});
  CHECK(r2.diff.removed == std::vector<std::string>{"names a.example"});
  CHECK(r2.diff.kept == 2);
  CHECK(r2.diff.updated == std::vector<std::string>{"names c.example"});  // its reason changed
  CHECK(r2.diff.expired.empty());
  CHECK(env.keys("names") == std::vector<std::string>{"b.example", "c.example", "d.example"});
  auto e = env.fs->entries("names");
  REQUIRE(e.is_ok());
  CHECK(e.value()[0].from.at(0).first_seen == kT0);
  CHECK(e.value()[0].from.at(0).last_seen == kT0 + 60);
  CHECK(e.value()[1].from.at(0).reason == "tag=now with a comment");
  auto m = env.fs->feed_meta("f");
  REQUIRE(m.is_ok());
  REQUIRE(m.value().has_value());
  CHECK(m.value()->last_good_entries == 3);
  CHECK(m.value()->added == 1);
  CHECK(m.value()->removed == 1);
  CHECK(m.value()->kept == 2);
  CHECK(m.value()->last_import == kT0 + 60);
}

TEST_CASE("feed store: entries not seen for expire-after expire", "[feed_store]") {
  Env env(dataset("names", "dnset") +
          feed("f", "\"names\"", "list.txt", "plain", "max_shrink = 1.0\nexpire_after = \"1d\""));
  env.dir.write("list.txt", "a.example\nb.example\n");
  env.import("f", kT0);
  env.dir.write("list.txt", "b.example\n");
  ImportReport r2 = env.import("f", kT0 + 3600);  // a is absent, but seen an hour ago
  CHECK(r2.diff.removed.empty());
  CHECK(r2.diff.expired.empty());
  CHECK(r2.diff.lingering == 1);
  CHECK(env.keys("names") == std::vector<std::string>{"a.example", "b.example"});
  // Rendered at a time before its expiry, a is still served; after it, it is not.
  REQUIRE(env.fs->render("names", kT0 + 3600).is_ok());
  CHECK(env.read("names.dnset").find("\na.example\n") != std::string::npos);
  REQUIRE(env.fs->render("names", kT0 + 2 * 86400).is_ok());
  CHECK(env.read("names.dnset").find("\na.example\n") == std::string::npos);
  ImportReport r3 = env.import("f", kT0 + 86400 + 1);
  CHECK(r3.diff.expired == std::vector<std::string>{"names a.example"});
  CHECK(r3.diff.kept == 1);
  CHECK(env.keys("names") == std::vector<std::string>{"b.example"});
}

TEST_CASE("feed store: a shrinking or bad source is refused and the last good data stays", "[feed_store]") {
  Env env(dataset("names", "dnset") +
          feed("f", "\"names\"", "list.txt", "plain", "max_shrink = 0.5\nmax_bad = 0.2") +
          dataset("v4", "ip4trie") + feed("j", "\"v4\"", "aws.json", "aws"));
  std::string list;
  for (int i = 0; i < 10; ++i) list += "host" + std::to_string(i) + ".example\n";
  env.dir.write("list.txt", list);
  env.import("f", kT0);
  REQUIRE(env.fs->render("names", kT0).is_ok());
  const std::string good_file = env.read("names.dnset");
  const auto good_keys = env.keys("names", true);

  // 10 -> 4 entries: 60% fewer than the last good import.
  env.dir.write("list.txt", "host0.example\nhost1.example\nhost2.example\nhost3.example\n");
  ImportReport r = env.import("f", kT0 + 10);
  CHECK(r.refused);
  CHECK(
      r.message ==
      "feed f: 10 -> 4 entries (60.0% fewer) exceeds the allowed 50.0%: refused, keeping the last good data");
  CHECK(env.keys("names", true) == good_keys);
  CHECK(env.read("names.dnset") == good_file);
  auto m = env.fs->feed_meta("f");
  REQUIRE(m.is_ok());
  CHECK(m.value()->last_good_entries == 10);
  CHECK(m.value()->last_error == r.message);
  CHECK(m.value()->last_import == kT0);

  // Too many bad lines: every one is reported with file and line.
  env.dir.write("list.txt", list + "bad..name\n-x-.exa mple\nhttp://x/\n");
  r = env.import("f", kT0 + 20);
  CHECK(r.refused);
  CHECK(r.bad == 3);
  REQUIRE(r.diagnostics.size() == 3);
  CHECK(r.diagnostics[0].starts_with("file " + env.dir.file("list.txt") + "(11): "));
  CHECK(r.diagnostics[2].starts_with("file " + env.dir.file("list.txt") + "(13): "));
  CHECK(env.keys("names", true) == good_keys);

  // An incomplete JSON source is refused even on its first import.
  env.dir.write("aws.json", feeds::testing::read_fixture("truncated.json"));
  r = env.import("j", kT0);
  CHECK(r.refused);
  CHECK(env.keys("v4").empty());

  // Missing source: an error, nothing changes.
  std::filesystem::remove(env.dir.file("list.txt"));
  auto missing = env.fs->import("f", kT0 + 30);
  REQUIRE_FALSE(missing.is_ok());
  CHECK(std::string(missing.status().message())
            .starts_with("feed f: cannot read feed file " + env.dir.file("list.txt")));
  CHECK(env.keys("names", true) == good_keys);
}

TEST_CASE("feed store: a failing commit leaves the previous state", "[feed_store]") {
  // A map too small for the new entries: LMDB fails with MDB_MAP_FULL inside the write
  // transaction, which is then aborted.
  const std::string cfg =
      dataset("names", "dnset") + feed("f", "\"names\"", "list.txt", "plain", "max_shrink = 1.0");
  Env env(cfg, std::size_t{1} << 20);
  env.dir.write("list.txt", "a.example\nb.example\n");
  env.import("f", kT0);
  const auto before = env.keys("names", true);
  std::string big;
  for (int i = 0; i < 40000; ++i) big += "host-number-" + std::to_string(i) + ".example\n";
  env.dir.write("list.txt", big);
  auto r = env.fs->import("f", kT0 + 1);
  REQUIRE_FALSE(r.is_ok());
  CHECK(std::string(r.status().message()).find("MDB_MAP_FULL") != std::string::npos);
  CHECK(env.keys("names", true) == before);
  auto m = env.fs->feed_meta("f");
  REQUIRE(m.is_ok());
  CHECK(m.value()->last_good_entries == 2);
}

TEST_CASE("feed store: pushed adds and deletes commit in one transaction", "[feed_store]") {
  Env env(dataset("names", "dnset", "value = \"127.0.0.4\"") + dataset("v4", "ip4trie") +
          dataset("v6", "ip6trie") + feed("f", "\"names\"", "list.txt", "plain"));
  env.dir.write("list.txt", "shared.example\n");
  env.import("f", kT0);
  auto r = env.fs->apply(
      "names", {"Evil.Example.", "*.wild.example :127.0.0.3:pushed $", ".both.example 5", "shared.example"},
      {}, "update:key1", kT0 + 5);
  REQUIRE(r.is_ok());
  CHECK(r.value().added ==
        std::vector<std::string>{"evil.example", "*.wild.example", ".both.example", "shared.example"});
  CHECK(env.keys("names", true) ==
        std::vector<std::string>{"*.wild.example update:key1 127.0.0.3:pushed $",
                                 ".both.example update:key1 127.0.0.5:", "evil.example update:key1 :",
                                 "shared.example f :", "shared.example update:key1 :"});
  // A delete removes only this origin's contribution; a key another feed lists stays.
  r = env.fs->apply("names", {"evil.example :127.0.0.6"},
                    {"shared.example", "*.wild.example", "never.example"}, "update:key1", kT0 + 6);
  REQUIRE(r.is_ok());
  CHECK(r.value().removed == std::vector<std::string>{"shared.example", "*.wild.example"});
  CHECK(r.value().updated == std::vector<std::string>{"evil.example"});
  CHECK(env.keys("names") == std::vector<std::string>{".both.example", "evil.example", "shared.example"});
  // One bad line fails the whole call, and nothing is written.
  const auto before = env.keys("names", true);
  r = env.fs->apply("names", {"good.example", "bad..example"}, {}, "update:key1", kT0 + 7);
  REQUIRE_FALSE(r.is_ok());
  CHECK(std::string(r.status().message()) == "add 2: `bad..example': empty label in `bad..example'");
  CHECK(env.keys("names", true) == before);
  // IP datasets take prefixes of their family only; host bits are refused.
  r = env.fs->apply("v4", {"192.0.2.0/24", "!192.0.2.1", "198.51.100.7 :127.0.0.9:x"}, {}, "update:k", kT0);
  REQUIRE(r.is_ok());
  CHECK(env.keys("v4") == std::vector<std::string>{"!192.0.2.1/32", "192.0.2.0/24", "198.51.100.7/32"});
  CHECK_FALSE(env.fs->apply("v4", {"2001:db8::/32"}, {}, "update:k", kT0).is_ok());
  CHECK_FALSE(env.fs->apply("v4", {"10.0.0.1/8"}, {}, "update:k", kT0).is_ok());
  CHECK_FALSE(env.fs->apply("v4", {"192.0.2.9 :300.1.1.1:x"}, {}, "update:k", kT0).is_ok());
  CHECK(env.fs->apply("v6", {"2001:DB8::/32"}, {}, "update:k", kT0).is_ok());
  CHECK(env.keys("v6") == std::vector<std::string>{"2001:db8::/32"});
  CHECK_FALSE(env.fs->apply("nope", {"a.example"}, {}, "update:k", kT0).is_ok());
  // A pushed entry with an expiry stops being rendered at it.
  REQUIRE(env.fs->apply("names", {"brief.example"}, {}, "update:key2", kT0, kT0 + 100).is_ok());
  REQUIRE(env.fs->render("names", kT0 + 50).is_ok());
  CHECK(env.read("names.dnset").find("\nbrief.example\n") != std::string::npos);
  REQUIRE(env.fs->render("names", kT0 + 100).is_ok());
  CHECK(env.read("names.dnset").find("\nbrief.example\n") == std::string::npos);
}

TEST_CASE("feed store: parse_push_key normalises and validates", "[feed_store]") {
  using feeds::DatasetKind;
  using feeds::parse_push_key;
  auto key = [](DatasetKind k, const std::string& s) {
    auto r = parse_push_key(k, s);
    return r.is_ok() ? r.value().key + "|" + r.value().a + "|" + r.value().txt
                     : "error: " + std::string(r.status().message());
  };
  CHECK(key(DatasetKind::kDnset, "  Straße.DE. ") == "xn--strae-oqa.de||");
  CHECK(key(DatasetKind::kDnset, "! *.x.example") == "!*.x.example||");
  CHECK(key(DatasetKind::kDnset, ".x.example :2:t $") == ".x.example|127.0.0.2|t $");
  CHECK(key(DatasetKind::kDnset, "x.example 127.0.0.5") == "x.example|127.0.0.5|");
  CHECK(key(DatasetKind::kDnset, "a b.example") == "error: invalid A value `b.example' in `a b.example'");
  CHECK(key(DatasetKind::kDnset, "") == "error: empty entry");
  CHECK(key(DatasetKind::kIp4trie, "10.1.0.0/16") == "10.1.0.0/16||");
  CHECK(key(DatasetKind::kIp4trie, "10.1.2.3") == "10.1.2.3/32||");
  CHECK(key(DatasetKind::kIp4trie, "evil.example") == "error: `evil.example' is not an IP address or prefix");
  CHECK(key(DatasetKind::kIp6trie, "10.0.0.0/8") ==
        "error: `10.0.0.0/8' is not an IPv6 prefix (dataset type ip6trie)");
  CHECK(key(DatasetKind::kIp6trie, "2001:db8:0::1") == "2001:db8::1/128||");
}

TEST_CASE("feed store: rendered files load and answer, with test points and exclusions", "[feed_store]") {
  Env env(
      dataset(
          "names", "dnset",
          "value = \"127.0.0.4\"\ntxt = \"Listed: $\"\nsoa = \"3600 ns.example. hm.example. 0 600 300 86400 "
          "60\"\nns = \"3600 ns.example.\"") +
      dataset("v4", "ip4trie", "txt = \"v4 $\"") + dataset("v6", "ip6trie", "test_points = false"));
  REQUIRE(env.fs
              ->apply("names", {".bad.example", "!good.bad.example", "own.example :127.0.0.9:own value"}, {},
                      "update:k", kT0)
              .is_ok());
  REQUIRE(
      env.fs->apply("v4", {"10.0.0.0/8", "!10.1.0.0/16", "10.1.2.0/24 :127.0.0.3:third"}, {}, "update:k", kT0)
          .is_ok());
  REQUIRE(env.fs->apply("v6", {"2001:db8::/32", "::ffff:192.0.2.0/120"}, {}, "update:k", kT0).is_ok());
  for (const std::string d : {"names", "v4", "v6"}) REQUIRE(env.fs->render(d, kT0).is_ok());
  // A v4-mapped prefix is written in hex groups: rbldnsd's ip6trie reads no dotted tail.
  CHECK(env.read("v6.ip6trie").find("\n0:0:0:0:0:ffff:c000:200/120\n") != std::string::npos);
  CHECK(env.read("names.dnset")
            .find("$SOA 3600 ns.example. hm.example. 0 600 300 86400 60\n$NS 3600 ns.example.\n"
                  ":127.0.0.4:Listed: $\n") != std::string::npos);
  auto snap = fastrbl::test::load(env.fs->config().zone_specs());
  REQUIRE(snap != nullptr);
  CHECK(answer_a(*snap, "x.bad.example.names.example") == std::vector<std::string>{"127.0.0.4"});
  CHECK(answer_txt(*snap, "bad.example.names.example") ==
        std::vector<std::string>{"\"Listed: bad.example\""});
  CHECK(answer_a(*snap, "good.bad.example.names.example").empty());
  CHECK(answer_txt(*snap, "own.example.names.example") == std::vector<std::string>{"\"own value\""});
  CHECK(answer_a(*snap, "test.names.example") == std::vector<std::string>{"127.0.0.4"});
  CHECK(answer_a(*snap, "invalid.names.example").empty());
  CHECK(answer_a(*snap, "9.9.9.10.v4.example") == std::vector<std::string>{"127.0.0.2"});
  CHECK(answer_a(*snap, "9.9.1.10.v4.example").empty());
  CHECK(answer_txt(*snap, "9.2.1.10.v4.example") == std::vector<std::string>{"\"third\""});
  CHECK(answer_a(*snap, "2.0.0.127.v4.example") == std::vector<std::string>{"127.0.0.2"});
  CHECK(answer_a(*snap, "1.0.0.127.v4.example").empty());
  CHECK(answer_a(*snap, fastrbl::test::nibbles("2001:0db8:0000:0000:0000:0000:0000:0001") + ".v6.example") ==
        std::vector<std::string>{"127.0.0.2"});
  CHECK(answer_a(*snap, fastrbl::test::nibbles("0000:0000:0000:0000:0000:ffff:7f00:0002") + ".v6.example")
            .empty());
  CHECK(answer_a(*snap, fastrbl::test::nibbles("0000:0000:0000:0000:0000:ffff:c000:0207") + ".v6.example") ==
        std::vector<std::string>{"127.0.0.2"});
  // The render is atomic: no temporary file is left behind.
  for (const auto& e : std::filesystem::directory_iterator(env.dir.path()))
    CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("feed store: the multi zone answers the OR of every member list that matches", "[feed_store]") {
  // Random member lists over a small universe of names (exact, *., . forms and exclusions),
  // rendered to their own zones and to the multi zone: for every query name, the multi
  // answer must be 127.0.0.(OR of bit(m) for every member m that lists it).
  const std::vector<std::string> base = {"a.example",   "b.a.example", "c.b.a.example",   "d.example",
                                         "x.d.example", "example",     "e.c.b.a.example", "f.d.example"};
  std::mt19937 rng(static_cast<unsigned>(Catch::rngSeed()));
  const std::string members =
      "members = [ { dataset = \"m1\", bit = 2 }, { dataset = \"m2\", bit = 4 }, "
      "{ dataset = \"m3\", bit = 8 } ]\ntest_points = false";
  const std::string ip_members =
      "members = [ { dataset = \"p1\", bit = 16 }, { dataset = \"p2\", bit = 32 } ]\n"
      "test_points = false";
  Env env(dataset("m1", "dnset", "test_points = false") + dataset("m2", "dnset", "test_points = false") +
          dataset("m3", "dnset", "test_points = false") + dataset("multi", "dnset", members) +
          dataset("p1", "ip4trie", "test_points = false") + dataset("p2", "ip4trie", "test_points = false") +
          dataset("multi4", "ip4trie", ip_members));
  int combined = 0;  // answers with two bits or more: the property is not tested on single lists only
  for (int round = 0; round < 6; ++round) {
    for (const std::string m : {"m1", "m2", "m3"}) {
      auto all = env.fs->entries(m);
      std::vector<std::string> dels;
      for (const auto& e : all.value()) dels.push_back(e.key);
      std::vector<std::string> adds;
      for (const std::string& n : base) {
        const unsigned r = rng() % 8;
        const std::string prefix = r == 1 ? "*." : r == 2 ? "." : "";
        if (r <= 2) adds.push_back(prefix + n);
        if (r == 3) adds.push_back("!" + n);
        if (r == 4) adds.push_back("!*." + n);
      }
      REQUIRE(env.fs->apply(m, adds, dels, "update:t", kT0).is_ok());
    }
    for (const std::string p : {"p1", "p2"}) {
      auto all = env.fs->entries(p);
      std::vector<std::string> dels;
      for (const auto& e : all.value()) dels.push_back(e.key);
      std::vector<std::string> adds;
      for (const std::string n :
           {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.2.0.0/15", "11.0.0.0/8"}) {
        const unsigned r = rng() % 4;
        if (r == 1) adds.push_back(n);
        if (r == 2) adds.push_back("!" + std::string(n));
      }
      REQUIRE(env.fs->apply(p, adds, dels, "update:t", kT0).is_ok());
    }
    for (const std::string d : {"m1", "m2", "m3", "multi", "p1", "p2", "multi4"})
      REQUIRE(env.fs->render(d, kT0).is_ok());
    auto snap = fastrbl::test::load(env.fs->config().zone_specs());
    REQUIRE(snap != nullptr);
    std::vector<std::string> queries;
    for (const std::string& n : base) {
      queries.push_back(n);
      queries.push_back("q." + n);
      queries.push_back("r.q." + n);
    }
    for (const std::string& q : queries) {
      unsigned want = 0;
      for (const auto& [m, bit] :
           std::vector<std::pair<std::string, unsigned>>{{"m1", 2}, {"m2", 4}, {"m3", 8}})
        if (!answer_a(*snap, q + "." + m + ".example").empty()) want |= bit;
      INFO("round " << round << " query " << q);
      if ((want & (want - 1)) != 0) ++combined;
      CHECK(answer_a(*snap, q + ".multi.example") ==
            (want == 0 ? std::vector<std::string>{}
                       : std::vector<std::string>{"127.0.0." + std::to_string(want)}));
    }
    for (const std::string ip :
         {"10.1.2.3", "10.1.2.4", "10.1.3.1", "10.2.0.1", "10.3.0.1", "10.9.9.9", "11.1.1.1", "12.0.0.1"}) {
      const std::string rev = reversed(ip);
      unsigned want = 0;
      if (!answer_a(*snap, rev + ".p1.example").empty()) want |= 16;
      if (!answer_a(*snap, rev + ".p2.example").empty()) want |= 32;
      INFO("round " << round << " address " << ip << " " << rev);
      CHECK(answer_a(*snap, rev + ".multi4.example") ==
            (want == 0 ? std::vector<std::string>{}
                       : std::vector<std::string>{"127.0.0." + std::to_string(want)}));
    }
  }
  CHECK(combined > 0);
}
