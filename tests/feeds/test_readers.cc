// Table-driven tests of the feed readers: each row reads one fixture (tests/feeds/fixtures,
// small samples in each publisher's shape) and states every entry, every diagnostic with
// its file(line), the counts and the version stamp.

#include "feeds/reader.h"
#include "tests/feeds/feeds_test_util.h"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace fastrbl::feeds {
namespace {

using testing::read_fixture;
using testing::render;
using Lines = std::vector<std::string>;

struct Case {
  std::string fixture;
  Format format;
  ReadOptions options;
  Lines domains;
  Lines ips;
  Lines diagnostics;
  std::size_t good, bad, ignored;
  bool complete = true;
  std::string version = {};
};

ReadOptions geofeed_options() {
  ReadOptions o;
  o.csv.column = 1;
  o.csv.tag_column = 4;
  return o;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {"plain.txt",
       Format::kPlain,
       {},
       {"2 bit.ly", "3 go.nasa.gov", "4 amzn.to", "5 *.safelinks.protection.outlook.com",
        "6 .list-manage.com", "12 !ok.bit.ly", "13 xn--mnchen-3ya.example"},
       {"7 192.0.2.0/24 tag=SBL000001", "8 2001:db8::/32 tag=documentation prefix"},
       {"error: file plain.txt(9): empty label in `bad..name'",
        "error: file plain.txt(10): `http://example.com/x' is a URL, not a host name",
        "error: file plain.txt(11): host bits set in `10.0.0.1/8' (the network is 10.0.0.0/8)",
        "error: file plain.txt(14): unexpected text after `exa': `mple.com'"},
       9,
       4,
       0},
      {"hosts.txt",
       Format::kHosts,
       {},
       {"5 click.mlsend.com", "6 ct.sendgrid.net", "6 u123.ct.sendgrid.net", "7 awstrack.me"},
       {},
       {"note: file hosts.txt(2): local name `localhost' not used",
        "note: file hosts.txt(3): local name `ip6-loopback' not used",
        "note: file hosts.txt(4): local name `0.0.0.0' not used",
        "error: file hosts.txt(8): no host name after `0.0.0.0'",
        "error: file hosts.txt(9): invalid address `999.1.1.1' at the start of a hosts line",
        "error: file hosts.txt(10): invalid character `!' in `bad_name!.com'",
        "note: file hosts.txt(11): local name `localhost' not used"},
       3,
       3,
       4},
      {"adblock.txt",
       Format::kAdblock,
       {},
       {"5 .bit.ly", "6 *.work", "6 !.frame.work", "6 !.example.work", "7 *.tk", "8 !.good.tk", "14 *.cfd"},
       {},
       {"note: file adblock.txt(9): cosmetic rule: not DNS-level",
        "note: file adblock.txt(10): URL rule with a path: not DNS-level",
        "note: file adblock.txt(11): modifier `$dnstype=AAAA' not supported: rule not used",
        "error: file adblock.txt(12): empty label in `bad..example'",
        "note: file adblock.txt(13): rule without a `||' domain anchor: not DNS-level",
        "note: file adblock.txt(15): wildcard inside a name: not supported",
        "note: file adblock.txt(16): rule without a `^' separator after the domain: not used"},
       5,
       1,
       6,
       true,
       "2026.0225.1200"},
      {"geofeed.csv",
       Format::kCsv,
       geofeed_options(),
       {},
       {"2 192.0.2.0/24 tag=New York", "3 198.51.100.0/25 tag=Amsterdam",
        "4 2001:db8:1000::/36 tag=Frankfurt", "5 203.0.113.0/24 tag=Singapore, \"Central\""},
       {"error: file geofeed.csv(6): invalid character `!' in `not-an-ip-or-name!'",
        "error: file geofeed.csv(7): row has 1 field(s), column 4 wanted",
        "error: file geofeed.csv(8): column 1 is empty",
        "error: file geofeed.csv(9): unterminated quoted field"},
       4,
       4,
       0},
      {"dnset.txt",
       Format::kDnset,
       {},
       {"3 exact.example.com tag=:127.0.0.2:Listed: $", "4 *.wild.example.com tag=:3:Wild $",
        "5 .both.example.com tag=:127.0.0.2:Listed: $", "6 !ok.both.example.com"},
       {},
       {"note: file dnset.txt(1): special `$TTL': zone settings are not imported from feeds",
        "error: file dnset.txt(7): invalid domain name: empty label in `bad..example.com'",
        "note: file dnset.txt(8): special `$SOA': zone settings are not imported from feeds"},
       4,
       1,
       2},
      {"ip4set.txt",
       Format::kIp4set,
       {},
       {},
       {"2 192.0.2.0/24 tag=:127.0.0.2:Listed", "3 198.51.100.1/32 tag=:127.0.0.3:range",
        "3 198.51.100.2/31 tag=:127.0.0.3:range", "3 198.51.100.4/31 tag=:127.0.0.3:range",
        "3 198.51.100.6/32 tag=:127.0.0.3:range", "5 172.16.0.0/16 tag=:127.0.0.2:Listed",
        "6 !192.0.2.128/25"},
       {"error: file ip4set.txt(4): invalid address `10'",
        "error: file ip4set.txt(7): invalid range (non-zero host part) `10.0.0.1/8'",
        "error: file ip4set.txt(8): invalid address `300.1.1.1'"},
       4,
       3,
       0},
      {"ip6.txt",
       Format::kIp6,
       {},
       {},
       {"2 2001:db8::/32", "3 2001:db8:1:2::/64 tag=:127.0.0.3:six", "4 !2001:db8:1:2::1/128"},
       {"error: file ip6.txt(5): invalid range (non-zero host part) `2001:db8::1/32'",
        "error: file ip6.txt(6): invalid address `zz::1'"},
       3,
       2,
       0},
      {"aws-ip-ranges.json",
       Format::kAws,
       {},
       {},
       {"6 3.5.140.0/22 provider=aws service=AMAZON region=ap-northeast-2 tag=ap-northeast-2",
        "12 3.5.140.0/22 provider=aws service=S3 region=ap-northeast-2 tag=ap-northeast-2",
        "29 52.94.76.0/22 provider=aws service=AMAZON region=us-west-2 tag=us-west-2",
        "37 2600:1f18::/33 provider=aws service=EC2 region=us-east-1 tag=us-east-1"},
       {"error: file aws-ip-ranges.json(18): `ip_prefix': invalid prefix length in `15.230.39.0/33'",
        "error: file aws-ip-ranges.json(23): record without `ip_prefix'",
        "error: file aws-ip-ranges.json(43): `ipv6_prefix': `52.94.0.0/22' is not an IPv6 prefix"},
       4,
       3,
       0,
       true,
       "1771977600"},
      {"google-cloud.json",
       Format::kGoogle,
       {},
       {},
       {"5 34.1.208.0/20 provider=google service=Google Cloud region=africa-south1",
        "9 2600:1900:8000::/44 provider=google service=Google Cloud region=us-east4",
        "22 34.80.0.0/15 provider=google service=Google Cloud region=asia-east1"},
       {"error: file google-cloud.json(12): record needs exactly one of `ipv4Prefix' and `ipv6Prefix'",
        "error: file google-cloud.json(18): `ipv4Prefix' is not a string"},
       3,
       2,
       0,
       true,
       "1771970000000"},
      {"goog.json",
       Format::kGoogle,
       {},
       {},
       {"5 8.8.4.0/24 provider=google", "7 8.8.8.0/24 provider=google", "9 2001:4860::/32 provider=google"},
       {},
       3,
       0,
       0,
       true,
       "1771970000001"},
      {"azure-servicetags.json",
       Format::kAzure,
       {},
       {},
       {"15 13.107.246.0/24 provider=azure service=AzureFrontDoor tag=AzureFrontDoor.Frontend",
        "16 2620:1ec:bdf::/48 provider=azure service=AzureFrontDoor tag=AzureFrontDoor.Frontend",
        "31 13.69.0.0/17 provider=azure region=westeurope tag=AzureCloud.westeurope",
        "33 2603:1020:200::/46 provider=azure region=westeurope tag=AzureCloud.westeurope"},
       {"error: file azure-servicetags.json(32): `addressPrefixes': invalid IP address `13.69.300.0/24'",
        "error: file azure-servicetags.json(38): service tag `Broken.Tag' without "
        "`properties.addressPrefixes'"},
       4,
       2,
       0,
       true,
       "342"},
      {"oracle-public-ip-ranges.json",
       Format::kOracle,
       {},
       {},
       {"8 129.146.0.0/21 provider=oracle service=OCI region=us-phoenix-1",
        "14 134.70.8.0/21 provider=oracle service=OSN,OBJECT_STORAGE region=us-phoenix-1"},
       {"error: file oracle-public-ip-ranges.json(26): `cidr': host bits set in `129.213.8.1/21' (the "
        "network is "
        "129.213.8.0/21)",
        "error: file oracle-public-ip-ranges.json(31): record without `cidr'"},
       2,
       2,
       0,
       true,
       "2026-02-24T19:55:47.204985"},
      {"cloudflare-ips-v4.txt",
       Format::kCloudflare,
       {},
       {},
       {"1 173.245.48.0/20 provider=cloudflare", "2 103.21.244.0/22 provider=cloudflare",
        "3 104.16.0.0/13 provider=cloudflare"},
       {"error: file cloudflare-ips-v4.txt(4): `cloudflare.com' is not an IP address or prefix"},
       3,
       1,
       0},
      {"cloudflare-ips-v6.txt",
       Format::kCloudflare,
       {},
       {},
       {"1 2400:cb00::/32 provider=cloudflare", "2 2606:4700::/32 provider=cloudflare",
        "3 2a06:98c0::/29 provider=cloudflare"},
       {},
       3,
       0,
       0},
      {"cloudflare-api.json",
       Format::kCloudflareJson,
       {},
       {},
       {"4 173.245.48.0/20 provider=cloudflare", "5 103.21.244.0/22 provider=cloudflare",
        "8 2400:cb00::/32 provider=cloudflare"},
       {"error: file cloudflare-api.json(9): `ipv6_cidrs': invalid prefix length in `2606:4700::/32/1'"},
       3,
       1,
       0,
       true,
       "38f79d050aa027e3be3865e495dcc9bc"},
  };
  return kCases;
}

TEST_CASE("feed readers: fixtures, entries, diagnostics and counts", "[feeds][readers]") {
  for (const Case& c : cases()) {
    SECTION(c.fixture) {
      const std::string data = read_fixture(c.fixture);
      REQUIRE_FALSE(data.empty());
      const ReadResult r = make_reader(c.format, c.options)->read(data, c.fixture);
      CHECK(render(r.domains) == c.domains);
      CHECK(render(r.ips) == c.ips);
      CHECK(render(r.diagnostics) == c.diagnostics);
      CHECK(r.good_lines == c.good);
      CHECK(r.bad_lines == c.bad);
      CHECK(r.ignored_lines == c.ignored);
      CHECK(r.complete == c.complete);
      CHECK(r.version == c.version);
    }
  }
}

TEST_CASE("rpz reader: triggers, actions and ldns errors with their lines", "[feeds][readers][rpz]") {
  const ReadResult r = make_reader(Format::kRpz)->read(read_fixture("rpz.txt"), "rpz.txt");
  CHECK(render(r.domains) == Lines{"5 bad.example tag=nxdomain", "6 *.bad.example tag=nxdomain",
                                   "7 nodata.example tag=nodata", "8 !ok.bad.example tag=passthru",
                                   "9 drop.example tag=drop", "10 walled.example tag=local-data",
                                   "17 upper.example tag=nxdomain"});
  CHECK(render(r.ips) == Lines{"12 192.0.2.0/24 tag=nxdomain", "13 2001:db8::/48 tag=nxdomain"});
  const Lines diags = render(r.diagnostics);
  REQUIRE(diags.size() == 5);
  CHECK(diags[0] == "note: file rpz.txt(11): rpz-tcp-only action: not used");
  CHECK(diags[1] == "note: file rpz.txt(14): `rpz-nsip' trigger: not used");
  // The wording of this one is ldns's.
  CHECK(diags[2].rfind("error: file rpz.txt(15): invalid record: ", 0) == 0);
  CHECK(diags[3] ==
        "error: file rpz.txt(16): invalid rpz-ip trigger `33.0.2.0.192': invalid prefix length in "
        "`192.0.2.0/33'");
  CHECK(diags[4] ==
        "error: file rpz.txt(18): owner `outside.example.org.' is outside the zone `rpz.invalid.'");
  CHECK(r.good_lines == 9);
  CHECK(r.bad_lines == 3);
  CHECK(r.ignored_lines == 2);
  CHECK(r.complete);
}

TEST_CASE("rpz reader: $ORIGIN, a multi-line SOA and actions written relative to the zone",
          "[feeds][readers][rpz]") {
  const ReadResult r = make_reader(Format::kRpz)->read(read_fixture("rpz_origin.txt"), "rpz_origin.txt");
  CHECK(render(r.domains) == Lines{"5 tk tag=nxdomain", "6 *.tk tag=nxdomain", "7 !good.tk tag=passthru"});
  CHECK(r.diagnostics.empty());
  CHECK(r.good_lines == 3);
  CHECK(r.bad_lines == 0);
}

TEST_CASE("rpz reader: a last record without newline, and an empty source", "[feeds][readers][rpz]") {
  const ReadResult r = make_reader(Format::kRpz)->read("; c\n\nx.example CNAME .\n*.y.example CNAME .", "f");
  CHECK(render(r.domains) == Lines{"3 x.example tag=nxdomain", "4 *.y.example tag=nxdomain"});
  const ReadResult empty = make_reader(Format::kRpz)->read("", "f");
  CHECK(empty.entries() == 0);
  CHECK(empty.complete);
}

TEST_CASE("rpz reader: a $ORIGIN ldns cannot parse stops the read (found by fuzz_feeds)",
          "[feeds][readers][rpz]") {
  const std::string data = "a.example CNAME .\n$ORIGIN " + std::string(70, 'x') + ".example.\nb CNAME .\n";
  const ReadResult r = make_reader(Format::kRpz)->read(data, "f");
  CHECK(render(r.domains) == Lines{"1 a.example tag=nxdomain"});
  CHECK_FALSE(r.complete);
  CHECK(render(r.diagnostics) ==
        Lines{"error: file f(2): invalid $ORIGIN: the rest of the zone cannot be read"});
}

TEST_CASE("json readers: a truncated file is a fatal error at its line", "[feeds][readers][json]") {
  const ReadResult r = make_reader(Format::kAws)->read(read_fixture("truncated.json"), "truncated.json");
  CHECK_FALSE(r.complete);
  CHECK(r.entries() == 0);
  CHECK(r.bad_lines == 1);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].line == 7);
  CHECK(r.diagnostics[0].message.rfind("invalid JSON: parse error at line 7", 0) == 0);
}

TEST_CASE("json readers: deep nesting is not a recursion", "[feeds][readers][json]") {
  const std::string deep = "{\"prefixes\": [" + std::string(100000, '[') + std::string(100000, ']') + "]}";
  const ReadResult r = make_reader(Format::kAws)->read(deep, "deep.json");
  CHECK(r.complete);
  CHECK(render(r.diagnostics) == Lines{"error: file deep.json(1): record without `ip_prefix'"});
}

TEST_CASE("json readers: wrong top-level shapes are fatal", "[feeds][readers][json]") {
  struct Row {
    Format format;
    std::string data;
    std::string message;
  };
  const std::vector<Row> rows = {
      {Format::kAws, "[1, 2]", "file x.json(1): the top level is not a JSON object"},
      {Format::kAws, "{\"syncToken\": \"1\"}", "file x.json(1): no `prefixes' array"},
      {Format::kGoogle, "{\n \"prefixes\": {}\n}", "file x.json(2): no `prefixes' array"},
      {Format::kAzure, "{\"values\": 3}", "file x.json(1): no `values' array"},
      {Format::kOracle, "{}", "file x.json(1): no `regions' array"},
      {Format::kCloudflareJson, "{\"result\": []}", "file x.json(1): `result' is not an object"},
      {Format::kCloudflareJson, "", "file x.json(1): invalid JSON: "},
  };
  for (const Row& row : rows) {
    INFO(row.data);
    const ReadResult r = make_reader(row.format)->read(row.data, "x.json");
    CHECK_FALSE(r.complete);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].to_string().rfind(row.message, 0) == 0);
  }
}

TEST_CASE("list readers: the configured form of bare names, and spelled forms win", "[feeds][readers]") {
  ReadOptions o;
  o.default_form = DomainForm::kSuffix;
  o.provider = "mailchimp";
  const ReadResult r =
      make_reader(Format::kPlain, o)->read("list-manage.com\n*.mcsv.net\nmailchi.mp.\n", "esp");
  CHECK(render(r.domains) == Lines{"1 .list-manage.com provider=mailchimp", "2 *.mcsv.net provider=mailchimp",
                                   "3 .mailchi.mp provider=mailchimp"});

  const ReadResult h = make_reader(Format::kHosts, o)->read("0.0.0.0 sendgrid.net\n", "hosts");
  CHECK(render(h.domains) == Lines{"1 .sendgrid.net provider=mailchimp"});
}

TEST_CASE("csv reader: header row, another delimiter, a name column", "[feeds][readers][csv]") {
  ReadOptions o;
  o.csv.column = 2;
  o.csv.delimiter = ';';
  o.csv.header = true;
  const ReadResult r =
      make_reader(Format::kCsv, o)
          ->read("# comment\nrank;domain;seen\n1;Bad-Domain.Example;2026\n2;;x\n", "top.csv");
  CHECK(render(r.domains) == Lines{"3 bad-domain.example"});
  CHECK(render(r.diagnostics) == Lines{"error: file top.csv(4): column 2 is empty"});

  o.csv.column = 0;
  const ReadResult bad = make_reader(Format::kCsv, o)->read("a;b\n", "top.csv");
  CHECK_FALSE(bad.complete);
  CHECK(render(bad.diagnostics) == Lines{"error: file top.csv: csv column numbers start at 1"});
}

TEST_CASE("readers: host bits can be cleared instead of refused", "[feeds][readers]") {
  ReadOptions o;
  o.host_bits = HostBits::kClear;
  CHECK(render(make_reader(Format::kPlain, o)->read("10.0.0.1/8\n", "f").ips) == Lines{"1 10.0.0.0/8"});
  CHECK(render(make_reader(Format::kIp4set, o)->read("10.0.0.1/8\n", "f").ips) == Lines{"1 10.0.0.0/8"});
  CHECK(render(make_reader(Format::kIp6, o)->read("2001:db8::1/32\n", "f").ips) == Lines{"1 2001:db8::/32"});
}

TEST_CASE("readers: CRLF, a BOM and a last line without newline", "[feeds][readers]") {
  const ReadResult r = make_reader(Format::kPlain)
                           ->read(
                               "\xef\xbb\xbf"
                               "a.example\r\n\r\nb.example",
                               "f");
  CHECK(render(r.domains) == Lines{"1 a.example", "3 b.example"});
  CHECK(r.diagnostics.empty());
}

TEST_CASE("readers: messages are capped, counts are not", "[feeds][readers]") {
  ReadOptions o;
  o.max_diagnostics = 2;
  const ReadResult r = make_reader(Format::kPlain, o)->read("a..b\nc..d\ne..f\ng.example\n", "f");
  CHECK(r.bad_lines == 3);
  CHECK(r.good_lines == 1);
  CHECK(render(r.diagnostics) ==
        Lines{"error: file f(1): empty label in `a..b'", "error: file f(2): empty label in `c..d'"});
}

TEST_CASE("readers: files and streams", "[feeds][readers]") {
  auto r = read_feed_file(Format::kCloudflare, testing::fixture_path("cloudflare-ips-v6.txt"));
  REQUIRE(r.is_ok());
  CHECK(r.value().ips.size() == 3);
  CHECK(r.value().diagnostics.empty());

  auto missing = read_feed_file(Format::kPlain, "/nonexistent/feed.txt");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().message() ==
        "cannot read feed file /nonexistent/feed.txt: No such file or directory");

  std::istringstream in("bit.ly\n");
  const ReadResult s = make_reader(Format::kPlain)->read(in, "stdin");
  CHECK(render(s.domains) == Lines{"1 bit.ly"});
}

TEST_CASE("formats: names round-trip", "[feeds][readers]") {
  for (Format f : {Format::kPlain, Format::kHosts, Format::kAdblock, Format::kCsv, Format::kDnset,
                   Format::kIp4set, Format::kIp6, Format::kRpz, Format::kAws, Format::kGoogle, Format::kAzure,
                   Format::kOracle, Format::kCloudflare, Format::kCloudflareJson}) {
    INFO(format_name(f));
    REQUIRE(format_from_name(format_name(f)) == f);
    CHECK(make_reader(f) != nullptr);
  }
  CHECK_FALSE(format_from_name("yaml").has_value());
}

}  // namespace
}  // namespace fastrbl::feeds
