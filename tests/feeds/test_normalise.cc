// Normalisation of feed names (case, trailing dot, IDNA2008 A-labels, lengths) and the
// Public Suffix List decisions, against Debian's publicsuffix package and a small list
// given by path.

#include "feeds/normalise.h"
#include "tests/feeds/feeds_test_util.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace fastrbl::feeds {
namespace {

struct NameRow {
  std::string input;
  std::string output;  // the normalised name, or the error message
  bool ok;
};

TEST_CASE("normalise_domain: accepted names", "[feeds][normalise]") {
  const std::vector<NameRow> rows = {
      {"Example.COM.", "example.com", true},
      {"BÜCHER.de", "xn--bcher-kva.de", true},
      {"straße.de", "xn--strae-oqa.de", true},  // UTS #46 non-transitional: ß stays ß
      {"münchen.xn--p1ai", "xn--mnchen-3ya.xn--p1ai", true},
      {"例え.テスト", "xn--r8jz45g.xn--zckzah", true},
      {"example\xe3\x80\x82"
       "com",
       "example.com", true},  // U+3002 ideographic full stop
      {"xn--BCHER-kva.de", "xn--bcher-kva.de", true},
      {"_dmarc.Example.com", "_dmarc.example.com", true},
      // ASCII names are not put through IDNA rules: these exist as hostnames.
      {"-foo.blogspot.com", "-foo.blogspot.com", true},
      {"ab--cd.example", "ab--cd.example", true},
      {std::string(63, 'a') + ".com", std::string(63, 'a') + ".com", true},
  };
  for (const NameRow& row : rows) {
    INFO(row.input);
    auto r = normalise_domain(row.input);
    REQUIRE(r.is_ok());
    CHECK(r.value() == row.output);
  }
}

TEST_CASE("normalise_domain: 253 characters is the longest name", "[feeds][normalise]") {
  // 4 labels of 62 + 3 dots = 251, plus ".a" = 253.
  const std::string label(62, 'x');
  const std::string name253 = label + "." + label + "." + label + "." + label + ".a";
  REQUIRE(name253.size() == 253);
  CHECK(normalise_domain(name253).is_ok());
  CHECK(normalise_domain(name253 + ".").is_ok());
  auto too_long = normalise_domain("b" + name253);
  REQUIRE_FALSE(too_long.is_ok());
  CHECK(too_long.status().message() == "name `b" + name253 + "' longer than 253 characters");
}

TEST_CASE("normalise_domain: rejected names and their messages", "[feeds][normalise]") {
  const std::string label64(64, 'a');
  const std::vector<NameRow> rows = {
      {"", "empty name", false},
      {".", "empty name", false},
      {"a..b", "empty label in `a..b'", false},
      {".a", "empty label in `.a'", false},
      {label64 + ".com", "label `" + label64 + "' longer than 63 octets", false},
      {"a*b.com", "invalid character `*' in `a*b.com'", false},
      {"exa mple.com", "invalid character `\\x20' in `exa mple.com'", false},
      {"1.2.3", "top-level label of `1.2.3' is all digits", false},
      {"☃.net", "IDNA: cannot convert `☃.net' to A-labels: string contains a disallowed character", false},
      {"xn--zz.de", "invalid A-label `xn--zz' in `xn--zz.de': string contains invalid punycode data", false},
      {std::string("a\0b.com", 7), "NUL byte in name", false},
  };
  for (const NameRow& row : rows) {
    INFO(row.input);
    auto r = normalise_domain(row.input);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == row.output);
  }
  // Not UTF-8 at all: libidn2 says so.
  auto bad_utf8 = normalise_domain("\xff\xfe.com");
  REQUIRE_FALSE(bad_utf8.is_ok());
  CHECK(bad_utf8.status().message().rfind("IDNA: cannot convert", 0) == 0);
}

const PublicSuffixList& system_psl() {
  static const PublicSuffixList psl = [] {
    auto r = PublicSuffixList::load();
    REQUIRE(r.is_ok());
    return std::move(r).value();
  }();
  return psl;
}

TEST_CASE("psl: public suffixes (Debian's publicsuffix package)", "[feeds][psl]") {
  const PublicSuffixList& psl = system_psl();
  struct Row {
    std::string name;
    bool any;    // ICANN + PRIVATE
    bool icann;  // ICANN only
  };
  const std::vector<Row> rows = {
      {"com", true, true},
      {"co.uk", true, true},
      {"uk", true, true},
      {"tk", true, true},
      {"ck", true, true},
      {"anything.ck", true, true},  // *.ck
      {"www.ck", false, false},     // !www.ck
      {"github.io", true, false},
      {"blogspot.com", true, false},
      {"foo.github.io", false, false},
      {"example.com", false, false},
      {"example", false, false},  // not in the list: no implicit rule here
  };
  for (const Row& row : rows) {
    INFO(row.name);
    CHECK(psl.is_public_suffix(row.name) == row.any);
    CHECK(psl.is_public_suffix(row.name, PslSections::kIcann) == row.icann);
  }
}

TEST_CASE("psl: registrable domains", "[feeds][psl]") {
  const PublicSuffixList& psl = system_psl();
  struct Row {
    std::string name;
    PslSections sections;
    std::optional<std::string> registrable;
  };
  const std::vector<Row> rows = {
      {"www.shop.bad.co.uk", PslSections::kIcannAndPrivate, "bad.co.uk"},
      {"bad.co.uk", PslSections::kIcannAndPrivate, "bad.co.uk"},
      {"co.uk", PslSections::kIcannAndPrivate, std::nullopt},
      {"x.y.tk", PslSections::kIcannAndPrivate, "y.tk"},
      {"user.github.io", PslSections::kIcannAndPrivate, "user.github.io"},
      {"a.user.github.io", PslSections::kIcannAndPrivate, "user.github.io"},
      {"a.user.github.io", PslSections::kIcann, "github.io"},
      {"www.ck", PslSections::kIcannAndPrivate, "www.ck"},
      {"a.b.ck", PslSections::kIcannAndPrivate, "a.b.ck"},
      {"a.foo.example", PslSections::kIcannAndPrivate, "foo.example"},  // implicit `*` rule
      // s3.amazonaws.com is a private rule; amazonaws.com matches none: the longest wins.
      {"x.s3.amazonaws.com", PslSections::kIcannAndPrivate, "x.s3.amazonaws.com"},
      {"y.x.s3.amazonaws.com", PslSections::kIcannAndPrivate, "x.s3.amazonaws.com"},
      {"s3.amazonaws.com", PslSections::kIcannAndPrivate, std::nullopt},
      {"example", PslSections::kIcannAndPrivate, std::nullopt},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    CHECK(psl.registrable_domain(row.name, row.sections) == row.registrable);
  }
  CHECK(psl.known_tld("foo.tk"));
  CHECK(psl.known_tld("foo.co.uk"));
  CHECK(psl.known_tld("xn--p1ai"));
  CHECK_FALSE(psl.known_tld("foo.example"));
  CHECK_FALSE(psl.known_tld("foo.github"));
}

TEST_CASE("psl: choosing the dnset form of a listing", "[feeds][psl]") {
  const PublicSuffixList& psl = system_psl();
  struct Row {
    std::string name;
    ListingScope scope;
    bool excluded;
    std::string result;  // dnset text or error message
  };
  const std::vector<Row> rows = {
      {"tk", ListingScope::kTld, false, ".tk"},
      {"co.uk", ListingScope::kTld, false, ".co.uk"},
      {"xn--p1ai", ListingScope::kTld, false, ".xn--p1ai"},
      {"example.com", ListingScope::kTld, false, "`example.com' is not a public suffix"},
      {"www.shop.bad.co.uk", ListingScope::kRegistrableDomain, false, ".bad.co.uk"},
      {"evil.github.io", ListingScope::kRegistrableDomain, false, ".evil.github.io"},
      {"frame.work", ListingScope::kRegistrableDomain, true, "!.frame.work"},
      {"co.uk", ListingScope::kRegistrableDomain, false,
       "`co.uk' is a public suffix: only the TLD scope lists public suffixes"},
      {"github.io", ListingScope::kHost, false,
       "`github.io' is a public suffix: only the TLD scope lists public suffixes"},
      {"go.nasa.gov", ListingScope::kHost, false, "go.nasa.gov"},
      {"list-manage.com", ListingScope::kHostAndSubdomains, false, ".list-manage.com"},
      {"safelinks.protection.outlook.com", ListingScope::kSubdomains, false,
       "*.safelinks.protection.outlook.com"},
      {"foo.invalidtld", ListingScope::kHost, false, "unknown top-level domain in `foo.invalidtld'"},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    ListingPolicy policy;
    policy.scope = row.scope;
    auto r = make_listing(psl, row.name, policy, row.excluded);
    CHECK((r.is_ok() ? r.value().dnset_text() : std::string(r.status().message())) == row.result);
  }

  ListingPolicy icann;
  icann.scope = ListingScope::kRegistrableDomain;
  icann.sections = PslSections::kIcann;
  // ICANN-only does not know github.io: the whole of it would be listed.
  CHECK(make_listing(psl, "evil.github.io", icann).value().dnset_text() == ".github.io");

  ListingPolicy lax;
  lax.require_known_tld = false;
  CHECK(make_listing(psl, "foo.invalidtld", lax).value().dnset_text() == "foo.invalidtld");
}

TEST_CASE("psl: a newer list given by path", "[feeds][psl]") {
  auto loaded = PublicSuffixList::load(testing::fixture_path("mini_psl.dat"));
  REQUIRE(loaded.is_ok());
  const PublicSuffixList& psl = loaded.value();
  CHECK(psl.known_tld("shop.newtld"));
  CHECK_FALSE(system_psl().known_tld("shop.newtld"));
  CHECK(psl.registrable_domain("a.b.shop.newtld") == "shop.newtld");
  CHECK(psl.is_public_suffix("pages.example-hosting.com"));
  CHECK_FALSE(psl.is_public_suffix("pages.example-hosting.com", PslSections::kIcann));
  CHECK(psl.registrable_domain("me.pages.example-hosting.com") == "me.pages.example-hosting.com");
  CHECK(psl.registrable_domain("x.www.ck") == "www.ck");

  auto missing = PublicSuffixList::load("/nonexistent/psl.dat");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().message() == "cannot load public suffix list /nonexistent/psl.dat");
  // A file that is not a PSL (no rule for com).
  auto wrong = PublicSuffixList::load(testing::fixture_path("hosts.txt"));
  REQUIRE_FALSE(wrong.is_ok());
}

}  // namespace
}  // namespace fastrbl::feeds
