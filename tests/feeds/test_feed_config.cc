// Feed config (feeds/feed_config.h): what a valid TOML config yields, and that every
// mistake is reported as FILE:LINE: message.

#include "feeds/feed_config.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

#include <string>

using fastrbl::feeds::DatasetKind;
using fastrbl::feeds::Format;
using fastrbl::feeds::ListingScope;
using fastrbl::feeds::load_feed_config;
using fastrbl::testing::TempDir;

namespace {

constexpr const char* kGood = R"(# comment
psl = "/usr/share/publicsuffix/public_suffix_list.dat"

[[dataset]]
name = "short"
type = "dnset"
zone = "Short.Feeds.Example."
output = "out/short.dnset"
value = "127.0.0.4"
txt = "URL shortener: $"
ns = ["3600 ns1.example.", "ns2.example."]

[[dataset]]
name = "cloud4"
type = "ip4trie"
zone = "cloud.feeds.example"
output = "/abs/cloud4.ip4trie"
test_points = false

[[dataset]]
name = "cloud6"
type = "ip6trie"
zone = "cloud.feeds.example"
output = "out/cloud6.ip6trie"

[[dataset]]
name = "multi"
type = "dnset"
zone = "multi.feeds.example"
output = "out/multi.dnset"
members = [ { dataset = "short", bit = 4 } ]

[[feed]]
name = "shorteners"
dataset = "short"
url = "https://example.net/list.txt"
fallback = "lists/short.txt"
format = "plain"
scope = "host-and-subdomains"
expire_after = "7d"
max_shrink = 0.25
max_bad = 0

[[feed]]
name = "aws"
dataset = ["cloud4", "cloud6"]
source = "aws.json"
format = "aws"
txt = "AWS {service} {region}"
host_bits = "clear"
)";

std::string error_of(const std::string& text) {
  TempDir dir;
  const std::string path = dir.write("feeds.toml", text);
  auto c = load_feed_config(path);
  if (c.is_ok()) return "ok";
  const std::string msg(c.status().message());
  // Strip the directory, which differs per run.
  return msg.starts_with(path) ? "feeds.toml" + msg.substr(path.size()) : msg;
}

}  // namespace

TEST_CASE("feed config: a valid config yields its datasets and feeds", "[feed_config]") {
  TempDir dir;
  const std::string path = dir.write("feeds.toml", kGood);
  auto c = load_feed_config(path);
  REQUIRE(c.is_ok());
  const auto& cfg = c.value();
  REQUIRE(cfg.datasets.size() == 4);
  const auto* s = cfg.dataset("short");
  REQUIRE(s != nullptr);
  CHECK(s->kind == DatasetKind::kDnset);
  CHECK(s->zone == "short.feeds.example");
  CHECK(s->output == dir.path() + "/out/short.dnset");
  CHECK(s->value == "127.0.0.4");
  CHECK(s->txt == "URL shortener: $");
  CHECK(s->ns == "3600 ns1.example. ns2.example.");
  CHECK(s->test_points);
  CHECK(cfg.dataset("cloud4")->output == "/abs/cloud4.ip4trie");
  CHECK_FALSE(cfg.dataset("cloud4")->test_points);
  CHECK(cfg.dataset("multi")->members.size() == 1);
  CHECK(cfg.dataset("multi")->members[0].bit == 4);

  const auto* f = cfg.feed("shorteners");
  REQUIRE(f != nullptr);
  CHECK(f->source == "https://example.net/list.txt");
  CHECK(f->fallback == dir.path() + "/lists/short.txt");
  CHECK(f->format == Format::kPlain);
  REQUIRE(f->listing.has_value());
  CHECK(f->listing->scope == ListingScope::kHostAndSubdomains);
  CHECK(f->expire_after == 7 * 86400);
  CHECK(f->max_shrink == 0.25);
  CHECK(f->max_bad == 0);
  const auto* aws = cfg.feed("aws");
  REQUIRE(aws != nullptr);
  CHECK(aws->datasets == std::vector<std::string>{"cloud4", "cloud6"});
  CHECK(aws->source == dir.path() + "/aws.json");
  CHECK_FALSE(aws->listing.has_value());
  CHECK(aws->max_shrink == 0.5);  // the default

  CHECK(cfg.dataset_for_zone("CLOUD.feeds.example.", DatasetKind::kIp6trie)->name == "cloud6");
  CHECK(cfg.dataset_for_zone("cloud.feeds.example", DatasetKind::kIp4trie)->name == "cloud4");
  CHECK(cfg.dataset_for_zone("nowhere.example") == nullptr);
  CHECK(cfg.zone_specs().at(0) == "short.feeds.example:dnset:" + dir.path() + "/out/short.dnset");

  // --output-dir moves relative outputs only.
  auto moved = load_feed_config(path, "/srv/out");
  REQUIRE(moved.is_ok());
  CHECK(moved.value().dataset("short")->output == "/srv/out/out/short.dnset");
  CHECK(moved.value().dataset("cloud4")->output == "/abs/cloud4.ip4trie");
}

TEST_CASE("feed config: mistakes are reported with file and line", "[feed_config]") {
  const std::string ds =
      "[[dataset]]\nname = \"d\"\ntype = \"dnset\"\nzone = \"z.example\"\noutput = \"d.txt\"\n";
  CHECK(error_of("[[dataset]]\nname = \"d\"\ntype = \"dnset\"\nzone = \"z\"\noutput = \"o\"\ncolour = 1\n") ==
        "feeds.toml:6: unknown key `colour' in [[dataset]]");
  CHECK(error_of("[[dataset]]\nname = \"d\"\ntype = \"ip4set\"\nzone = \"z\"\noutput = \"o\"\n") ==
        "feeds.toml:3: dataset d: unknown type `ip4set' (dnset, ip4trie, ip6trie)");
  CHECK(error_of("[[dataset]]\nname = \"d\"\ntype = \"dnset\"\nzone = \"z\"\n") ==
        "feeds.toml:1: missing `output'");
  CHECK(error_of(ds + "\n[[feed]]\nname = \"f\"\ndataset = \"nope\"\nsource = \"x\"\nformat = \"plain\"\n") ==
        "feeds.toml:7: feed f: unknown dataset `nope'");
  CHECK(error_of(ds + "\n[[feed]]\nname = \"f\"\ndataset = \"d\"\nsource = \"x\"\nformat = \"gif\"\n") ==
        "feeds.toml:11: feed f: unknown format `gif'");
  CHECK(error_of(
            ds +
            "\n[[feed]]\nname = \"f\"\ndataset = \"d\"\nsource = \"x\"\nformat = \"plain\"\nexpire_after = "
            "\"3 days\"\n") ==
        "feeds.toml:12: invalid duration `3 days' for `expire_after' (NUMBER[s|m|h|d|w])");
  CHECK(error_of(ds + "\n[[feed]]\nname = \"f\"\ndataset = \"d\"\nsource = \"x\"\nformat = "
                      "\"plain\"\nmax_shrink = 1.5\n") ==
        "feeds.toml:12: `max_shrink' must be between 0 and 1");
  CHECK(error_of(ds + "\n[[feed]]\nname = \"f\"\ndataset = \"d\"\nsource = \"x\"\nformat = \"plain\"\nscope "
                      "= \"domain\"\n") ==
        "feeds.toml:12: feed f: `scope' must be one of as-written, tld, registrable-domain, host, "
        "host-and-subdomains, subdomains");
  CHECK(error_of(ds + "\n[[feed]]\nname = \"f\"\ndataset = \"d\"\nformat = \"plain\"\n") ==
        "feeds.toml:7: feed f: missing `source' (a file or an http(s) URL)");
  CHECK(error_of(ds + ds) == "feeds.toml:6: dataset d is defined twice");
  CHECK(error_of("[[dataset]]\nname = \"d\"\ntype = \"dnset\"\nzone = \"bad..zone\"\noutput = \"o\"\n") ==
        "feeds.toml:4: dataset d: invalid zone: empty label in `bad..zone'");
  CHECK(error_of(ds + "value = \"127.0.0.300\"\n") ==
        "feeds.toml:1: dataset d: invalid A value `127.0.0.300'");
  CHECK(error_of("[[dataset]]\nname = \"m\"\ntype = \"dnset\"\nzone = \"m\"\noutput = \"m\"\nmembers = [ { "
                 "dataset = "
                 "\"x\", bit = 3 } ]\n") == "feeds.toml:6: `bit' must be a power of two (2, 4, ... 128)");
  CHECK(error_of("[[dataset]]\nname = \"m\"\ntype = \"dnset\"\nzone = \"m\"\noutput = \"m\"\nmembers = [ { "
                 "dataset = "
                 "\"x\", bit = 2 } ]\n") == "feeds.toml:1: dataset m: unknown member dataset `x'");
  // TOML syntax errors carry the parser's line.
  CHECK(error_of("[[dataset]]\nname = \"d\"\ntype = dnset\n").starts_with("feeds.toml:3: "));
  auto missing = load_feed_config("/nonexistent/feeds.toml");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(std::string(missing.status().message()) ==
        "cannot read feed config /nonexistent/feeds.toml: no such file");
}

TEST_CASE("feed config: durations", "[feed_config]") {
  using fastrbl::feeds::parse_duration;
  CHECK(parse_duration("3600") == 3600);
  CHECK(parse_duration("90m") == 5400);
  CHECK(parse_duration("2h") == 7200);
  CHECK(parse_duration("7d") == 604800);
  CHECK(parse_duration("2W") == 1209600);
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("d"));
  CHECK_FALSE(parse_duration("-1d"));
  CHECK_FALSE(parse_duration("1.5h"));
}
