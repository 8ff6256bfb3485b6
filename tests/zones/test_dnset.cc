// Tests for zones::DnSet and its builder (rbldnsd's dnset lookup rules, RFC 8020 empty
// non-terminals, counters, no allocation in query()) and for the seeded NameIndex.

#include "names_test_util.h"
#include "support/placed_image.h"
#include "zones/dnset.h"
#include "zones/image.h"
#include "zones/name_hash.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace fastrbl::zones {
namespace {

using testing::run;
using Rrs = std::vector<std::string>;

struct E {
  E(std::string n, std::uint8_t a = 2, std::string t = {}) : name(std::move(n)), a4(a), txt(std::move(t)) {}
  std::string name;  // `d`, `*.d` or `.d`, optionally `!`-prefixed
  std::uint8_t a4;
  std::string txt;
};

std::unique_ptr<DnSet> make(const std::vector<E>& entries, std::uint32_t ttl = 300) {
  DnSetBuilder b;
  for (const E& e : entries) {
    std::string_view s = e.name;
    const bool excl = !s.empty() && s[0] == '!';
    if (excl) s.remove_prefix(1);
    bool exact = true, wild = false;
    if (s.substr(0, 2) == "*.") {
      s.remove_prefix(2);
      exact = false;
      wild = true;
    } else if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      wild = true;
    }
    core::Name storage;
    auto w = testing::wire(s, storage);
    if (excl)
      b.exclude(w, exact, wild);
    else
      b.add(w, exact, wild, b.add_value({127, 0, 0, e.a4}, e.txt));
  }
  DatasetMeta meta;
  meta.type = "dnset";
  meta.ttl = ttl;
  return b.build(std::move(meta));
}

TEST_CASE("dnset: exact entries settle it, wildcards most specific first", "[dnset]") {
  auto set = make({{"a.com", 2, "exact $"},
                   {"*.a.com", 3, "wild $"},
                   {".b.com", 4, ""},
                   {"!*.x.b.com"},
                   {"!y.b.com"},
                   {"*.z.x.b.com", 5, ""}});
  CHECK(run(*set, "a.com").rrs == Rrs{"A 127.0.0.2 300", "TXT exact a.com 300"});
  CHECK(run(*set, "q.a.com").rrs == Rrs{"A 127.0.0.3 300", "TXT wild a.com 300"});
  CHECK(run(*set, "q.r.a.com").rrs == Rrs{"A 127.0.0.3 300", "TXT wild a.com 300"});
  CHECK(run(*set, "b.com").rrs == Rrs{"A 127.0.0.4 300"});
  CHECK(run(*set, "x.b.com").rrs == Rrs{"A 127.0.0.4 300"});
  CHECK_FALSE(run(*set, "q.x.b.com").found);
  CHECK_FALSE(run(*set, "y.b.com").found);
  CHECK(run(*set, "q.y.b.com").rrs == Rrs{"A 127.0.0.4 300"});
  CHECK(run(*set, "q.z.x.b.com").rrs == Rrs{"A 127.0.0.5 300"});
  CHECK(run(*set, "B.Com", core::rrtype::kA).rrs == Rrs{"A 127.0.0.4 300"});
  CHECK(run(*set, "b.com", core::rrtype::kMX).found);
  CHECK(run(*set, "b.com", core::rrtype::kMX).rrs.empty());
  CHECK_FALSE(run(*set, "").found);
  CHECK_FALSE(run(*set, "c.com").found);
  CHECK(set->stats_text() == "e/w=3/4");
}

TEST_CASE("dnset: an excluded wildcard deeper than every listed one still settles it", "[dnset]") {
  auto set = make({{"*.wild.com", 3, ""}, {"!*.ex.wild.com"}});
  CHECK(run(*set, "q.wild.com").found);
  CHECK_FALSE(run(*set, "q.ex.wild.com").found);
  CHECK_FALSE(run(*set, "p.q.ex.wild.com").found);
}

TEST_CASE("dnset: several values, exclusion beats every listing of the name", "[dnset]") {
  auto set =
      make({{"m.com", 5, "one"}, {"m.com", 6, "two"}, {"m.com", 6, "two"}, {"e.com", 7, ""}, {"!e.com"}});
  auto r = run(*set, "m.com");
  std::sort(r.rrs.begin(), r.rrs.end());
  CHECK(r.rrs == Rrs{"A 127.0.0.5 300", "A 127.0.0.6 300", "TXT one 300", "TXT two 300"});
  CHECK_FALSE(run(*set, "e.com").found);
  CHECK(set->stats_text() == "e/w=3/0");  // adjacent duplicates dropped, the exclusion swallows
}

TEST_CASE("dnset: RFC 8020 empty non-terminals", "[dnset]") {
  auto set = make({{"a.b.c.com"}, {"*.w.org"}, {"!x.y.net"}, {"!b.c.com"}});
  for (const char* n : {"b.c.com", "c.com", "com", "w.org", "org"}) {
    INFO(n);
    auto r = run(*set, n);
    CHECK(r.found);
    CHECK(r.rrs.empty());
  }
  for (const char* n : {"y.net", "net", "q.a.b.c.com", "d.com"}) {
    INFO(n);
    CHECK_FALSE(run(*set, n).found);
  }
}

TEST_CASE("dnset: subject escaping", "[dnset]") {
  auto set = make({{"special\\$.com", 2, "S=$"}, {"*.semi\\;x.com", 2, "S=$"}});
  CHECK(run(*set, "special\\$.com", core::rrtype::kTXT).rrs == Rrs{"TXT S=special\\$.com 300"});
  CHECK(run(*set, "q.semi\\;x.com", core::rrtype::kTXT).rrs == Rrs{"TXT S=semi\\;x.com 300"});
}

TEST_CASE("dnset: query() does not allocate", "[dnset]") {
  auto set = make({{"a.com", 2, "exact $"}, {"*.a.com", 3, "wild $"}, {"!*.x.a.com"}, {"a.b.c.d"}});
  for (const char* n : {"a.com", "q.a.com", "q.x.a.com", "b.c.d", "nothing.here", ""})
    CHECK(run(*set, n).allocations == 0);
}

TEST_CASE("dnset: many random names round-trip", "[dnset]") {
  std::mt19937 rng(7);
  std::vector<E> entries;
  for (int i = 0; i < 20000; ++i) entries.push_back({"n" + std::to_string(rng()) + ".example", 2, ""});
  auto set = make(entries);
  for (int i = 0; i < 20000; i += 97) CHECK(run(*set, entries[static_cast<std::size_t>(i)].name).found);
  CHECK_FALSE(run(*set, "n.example.org").found);
  CHECK(run(*set, "example").found);  // the common ancestor
}

// The opened image of `set` (placed as LMDB places it, so served in place); `placed` keeps
// the bytes.
std::shared_ptr<const Dataset> reopen(const DnSet& set, std::optional<testing::Placed>& placed) {
  auto image = write_image(set);
  REQUIRE(image.is_ok());
  placed.emplace(image.value(), kImageAlignOffset);
  auto opened = open_image(placed->bytes, nullptr);
  INFO(opened.status().message());
  REQUIRE(opened.is_ok());
  return opened.value().dataset;
}

TEST_CASE("dnset: random exact, wildcard and excluded entries match a model, built and from an image",
          "[dnset]") {
  // Names of 1 to 5 labels from a few labels of different lengths, so that queries share
  // suffixes with entries at every depth and many names (and suffixes) have a length no
  // entry has, which match() skips without probing. The model is rbldnsd's rule: an exact
  // entry settles it, else the longest proper suffix with a wildcard entry; an exclusion
  // means not listed; otherwise every distinct value. Not listed names exist (RFC 8020)
  // when they are a proper ancestor of a listed name, or a listed wildcard's base or an
  // ancestor of it.
  const std::vector<std::string> pool = {"a", "bb", "ccc", "dddd", "x1", "long-label-7"};
  std::mt19937 gen(99);
  auto rng = [&gen]() { return static_cast<std::uint32_t>(gen()); };
  auto random_name = [&](unsigned max_labels) {
    std::string n;
    const unsigned labels = 1 + rng() % max_labels;
    for (unsigned i = 0; i < labels; ++i) n += (i == 0 ? "" : ".") + pool[rng() % pool.size()];
    return n;
  };
  for (int round = 0; round < 6; ++round) {
    struct Outcome {
      bool excluded = false;
      std::set<int> values;
    };
    std::map<std::string, Outcome> exact, wild;
    std::vector<E> entries;
    const int n = 20 + round * 40;
    for (int i = 0; i < n; ++i) {
      const std::string name = random_name(4);
      const unsigned form = rng() % 3;  // d, *.d, .d
      const bool excl = rng() % 6 == 0;
      const int v = static_cast<int>(2 + rng() % 3);
      const std::string text = (excl ? "!" : "") +
                               std::string(form == 1   ? "*."
                                           : form == 2 ? "."
                                                       : "") +
                               name;
      entries.push_back({text, static_cast<std::uint8_t>(v), ""});
      for (auto* m : {form != 1 ? &exact : nullptr, form != 0 ? &wild : nullptr}) {
        if (m == nullptr) continue;
        Outcome& o = (*m)[name];
        if (excl) o.excluded = true;
        o.values.insert(v);
      }
    }
    auto suffixes = [](const std::string& name) {  // proper suffixes, longest first
      std::vector<std::string> out;
      for (std::size_t p = name.find('.'); p != std::string::npos; p = name.find('.', p + 1))
        out.push_back(name.substr(p + 1));
      return out;
    };
    std::set<std::string> ents;
    for (const auto& [name, o] : exact)
      if (!o.excluded)
        for (const std::string& s : suffixes(name)) ents.insert(s);
    for (const auto& [name, o] : wild) {
      if (o.excluded) continue;
      ents.insert(name);
      for (const std::string& s : suffixes(name)) ents.insert(s);
    }
    auto model = [&](const std::string& q, bool* found) {
      const Outcome* o = nullptr;
      if (auto it = exact.find(q); it != exact.end()) {
        o = &it->second;
      } else {
        for (const std::string& s : suffixes(q))
          if (auto w = wild.find(s); w != wild.end()) {
            o = &w->second;
            break;
          }
      }
      Rrs rrs;
      if (o != nullptr && !o->excluded)
        for (int v : o->values) rrs.push_back("A 127.0.0." + std::to_string(v) + " 300");
      *found = !rrs.empty() || ents.count(q) != 0;
      return rrs;
    };
    auto set = make(entries);
    std::optional<testing::Placed> placed;
    const std::shared_ptr<const Dataset> opened = reopen(*set, placed);
    std::vector<std::string> queries;
    for (const E& e : entries) {
      std::string_view t = e.name;
      while (!t.empty() && (t[0] == '!' || t[0] == '*' || t[0] == '.')) t.remove_prefix(1);
      queries.emplace_back(t);
      queries.push_back(pool[rng() % pool.size()] + "." + std::string(t));
      queries.push_back(random_name(2) + "." + std::string(t));
    }
    for (int i = 0; i < 2000; ++i) queries.push_back(random_name(6));
    for (const std::string& q : queries) {
      INFO("round " << round << " query " << q);
      bool found = false;
      const Rrs want = model(q, &found);
      for (const Dataset* ds : {static_cast<const Dataset*>(set.get()), opened.get()}) {
        auto r = run(*ds, q, core::rrtype::kA);
        std::sort(r.rrs.begin(), r.rrs.end());
        REQUIRE(r.found == found);
        REQUIRE(r.rrs == want);
      }
    }
  }
}

TEST_CASE("NameIndex: insert, find, keys as wire names", "[dnset]") {
  NameIndex idx;
  core::Name s1, s2, s3;
  const auto a = idx.insert(testing::wire("a.com", s1));
  const auto b = idx.insert(testing::wire("b.com", s2));
  CHECK(idx.insert(testing::wire("a.com", s3)) == a);
  CHECK(a != b);
  CHECK(idx.find(testing::wire("b.com", s3)) == b);
  CHECK(idx.find(testing::wire("c.com", s3)) == NameIndex::kNone);
  CHECK(idx.find({}) == NameIndex::kNone);
  const auto root = idx.insert({});
  CHECK(idx.find({}) == root);
  CHECK(core::Name::from_text("a.com").value().wire().size() == idx.key(a).size() + 1);
  CHECK(idx.wire(a)[idx.key(a).size()] == 0);
  // The hash depends on the bytes only (one seed per process).
  const std::vector<std::uint8_t> x = {1, 'x'};
  CHECK(name_hash(x) == name_hash(x));
  CHECK(name_hash(x) != name_hash(std::vector<std::uint8_t>{1, 'y'}));
}

TEST_CASE("name_hash: the values of image format 2, with a seed and with its HashKey", "[dnset][hash]") {
  // Stored indexes depend on them: a change here is a new image format (zones/image.h).
  // Input n: n bytes 'a' + (7 * i) % 26, i = 0..n-1 (every branch: 0-3, 4-16, 17-70 bytes).
  const HashSeed k{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  const HashKey key(k);
  const std::array<std::uint64_t, 71> want = {
      0xac42539f14997885ULL, 0x2439f997a220ffe1ULL, 0x7d778296f242af47ULL, 0x320bf753888f88b8ULL,
      0xb0635393c6ddc8bcULL, 0x5235c2070310ce71ULL, 0x8ee10223a329e95dULL, 0xdb45a9df5dd5c472ULL,
      0x9385335542c362e7ULL, 0x50d0f84f0ad3f0ccULL, 0x7d7f1601ec3a7f6eULL, 0xf7bf0abc595ec0f1ULL,
      0x76eb9e731bc07dcdULL, 0x3ef771dfa54f4c87ULL, 0xc176b4570a4f9f39ULL, 0x7ff6651363a0afefULL,
      0x1b47029b2c421e08ULL, 0xae1a1122d0846419ULL, 0x9ae07f70aada1422ULL, 0x16c33b404177cf46ULL,
      0xffb1e54b5f3a3c29ULL, 0x16cccc5628f9e17fULL, 0x602c36e5b547fcf7ULL, 0x1681c05cfde8254dULL,
      0xbec8315aec60b338ULL, 0x38e25c381b006987ULL, 0x32b23b78b5e820f7ULL, 0x01e1cacbc906baffULL,
      0x662d918c7b95dabdULL, 0x8e8fb26a56e5d2e0ULL, 0xfd78fe7c23d6f807ULL, 0xaf0d01e706d7762aULL,
      0xfd03e1c0327a2d3aULL, 0xd10fbf4720dccb1cULL, 0x97c5760f0870d00cULL, 0x2a2e3cc28968ed24ULL,
      0x01c051955eeea407ULL, 0xd217a45d6fbc85e5ULL, 0x5b9ece2d6210dd50ULL, 0xf5043cc0ea4a07ffULL,
      0xb321ff68e7961ff2ULL, 0x3f4c7e3bbd463286ULL, 0x660f58bccf84156aULL, 0x4fb58be007f70c73ULL,
      0x10f027104cb21b96ULL, 0xdae48cea3215a181ULL, 0x05cbef3e0629046eULL, 0x21850d2bb8a36cecULL,
      0x975c590a47fbd046ULL, 0xa21e507688a8778bULL, 0xc8383b459ee84576ULL, 0x2ce4e5233b6a9104ULL,
      0x927eabebb4d645faULL, 0x1e90ccf15259259cULL, 0x85dc4e29ca4f3e4cULL, 0x9963135875cfaa04ULL,
      0xeb2557f686bd36f7ULL, 0x1bdf0ddaa50e9eb4ULL, 0x108ccd5168500a4aULL, 0x5d96c7e66aba7ce0ULL,
      0xd3c86fd5b32cf5d9ULL, 0x2fdeb92b20a59163ULL, 0x9c0072f360cbdd31ULL, 0x9b969f1a2bbff68bULL,
      0x51e9910a3cdbdbf9ULL, 0x7ee5369ecaf329fcULL, 0x4967074d6a6bd50eULL, 0x99927983d8f987c7ULL,
      0x69244ff0ac62c8b5ULL, 0x8be01462c34d1b9fULL, 0x572bcb4fb8707090ULL,
  };
  for (std::size_t n = 0; n < want.size(); ++n) {
    std::vector<std::uint8_t> in(n);
    for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<std::uint8_t>('a' + (i * 7) % 26);
    INFO("length " << n);
    CHECK(name_hash(in, k) == want[n]);
    CHECK(name_hash(in, key) == want[n]);
  }
}

TEST_CASE("NameIndex: find() skips lengths no key has, and moves keep what it knows", "[dnset]") {
  NameIndex idx;
  CHECK_FALSE(idx.has_length(0));
  core::Name s1, s2, s3;
  const auto a = idx.insert(testing::wire("abc.com", s1));  // 8 bytes
  CHECK(idx.has_length(8));
  CHECK_FALSE(idx.has_length(9));
  CHECK_FALSE(idx.has_length(72));  // 8 + 64: another word of the bit set
  CHECK(idx.find(testing::wire("abd.com", s2)) == NameIndex::kNone);
  CHECK(idx.find(testing::wire("abcd.com", s2)) == NameIndex::kNone);
  const std::string long_label(62, 'q');
  const auto l = idx.insert(testing::wire(long_label + "." + long_label + ".com", s3));  // 130 bytes
  CHECK(idx.has_length(130));
  NameIndex moved(std::move(idx));
  CHECK(moved.find(testing::wire("abc.com", s1)) == a);
  CHECK(moved.find(testing::wire(long_label + "." + long_label + ".com", s3)) == l);
  CHECK(idx.find(testing::wire("abc.com", s1)) == NameIndex::kNone);  // NOLINT(bugprone-use-after-move)
  CHECK_FALSE(idx.has_length(8));                                     // NOLINT(bugprone-use-after-move)
}

TEST_CASE("name_hash: every length and byte counts, and the key changes everything", "[dnset][hash]") {
  // Inputs of 0 to 40 bytes (each branch: 0-3, 4-16, longer), and each with one byte
  // changed at every position: all hashes distinct under one key, and none equal under
  // another key.
  const HashSeed k1{0x0123456789abcdefULL, 0xfedcba9876543210ULL}, k2{0x0123456789abcdefULL, 0x1ULL};
  std::set<std::uint64_t> seen1, seen2;
  std::size_t inputs = 0;
  auto add = [&](const std::vector<std::uint8_t>& w) {
    seen1.insert(name_hash(w, k1));
    seen2.insert(name_hash(w, k2));
    CHECK(name_hash(w, k1) != name_hash(w, k2));
    ++inputs;
  };
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::vector<std::uint8_t> v(n, 'a');
    add(v);
    for (std::size_t pos = 0; pos < n; ++pos) {
      std::vector<std::uint8_t> w = v;
      w[pos] = 'b';
      add(w);
    }
  }
  CHECK(seen1.size() == inputs);
  CHECK(seen2.size() == inputs);
  // The process key is drawn at random: not the zero key.
  const std::vector<std::uint8_t> x = {3, 'c', 'o', 'm'};
  CHECK(name_hash(x) != name_hash(x, HashSeed{0, 0}));
}

}  // namespace
}  // namespace fastrbl::zones
