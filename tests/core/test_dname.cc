// Tests for core::Name: presentation parsing (rbldnsd's rules, compat §3.8), wire copies,
// case handling, suffix tests and dns_dntop-style text output.

#include "core/dname.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using fastrbl::core::Name;
using namespace std::string_literals;

namespace {

// The wire bytes of a name as a string, for readable comparisons with "\003www..."s.
std::string wire_of(const Name& n) {
  auto w = n.wire();
  return std::string(w.begin(), w.end());
}

Name parse(std::string_view text) {
  auto r = Name::from_text(text);
  INFO("from_text(\"" << std::string(text) << "\"): " << std::string(r.status().message()));
  REQUIRE(r.is_ok());
  return r.value();
}

bool parses(std::string_view text) { return Name::from_text(text).is_ok(); }

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("Name: default is the root", "[dname]") {
  Name n;
  CHECK(n.is_root());
  CHECK(n.size() == 1);
  CHECK(n.label_count() == 0);
  CHECK(wire_of(n) == "\000"s);
  CHECK(n.to_text() == ".");
}

TEST_CASE("Name::from_text: plain names keep their case", "[dname]") {
  Name n = parse("www.Example.COM");
  CHECK(wire_of(n) == "\003www\007Example\003COM\000"s);
  CHECK(n.size() == 17);
  CHECK(n.label_count() == 3);
  CHECK_FALSE(n.is_root());
}

TEST_CASE("Name::from_text: trailing dot is optional", "[dname]") {
  CHECK(parse("bl.example.") == parse("bl.example"));
  CHECK(wire_of(parse("bl.example.")) == "\002bl\007example\000"s);
}

TEST_CASE("Name::from_text: empty and dot give the root", "[dname]") {
  CHECK(parse("").is_root());
  CHECK(parse(".").is_root());
  CHECK(parse("..").is_root());
  CHECK(parse(".").size() == 1);
}

TEST_CASE("Name::from_text: empty labels are skipped", "[dname]") {
  CHECK(wire_of(parse("a..b")) == "\001a\001b\000"s);
  CHECK(wire_of(parse(".a.b")) == "\001a\001b\000"s);
  CHECK(wire_of(parse("a.b..")) == "\001a\001b\000"s);
  CHECK(parse("...a...b...").label_count() == 2);
}

TEST_CASE("Name::from_text: backslash-DDD escapes", "[dname]") {
  // \046 is '.', kept inside the label rather than splitting it.
  CHECK(wire_of(parse("a\\046b.c")) == "\003a.b\001c\000"s);
  CHECK(wire_of(parse("\\000")) == "\001\000\000"s);
  CHECK(wire_of(parse("\\255x")) == "\002\377x\000"s);
  CHECK(wire_of(parse("\\0651")) == "\002A1\000"s);  // exactly three digits are taken
  CHECK_FALSE(parses("\\256"));                      // above 255
  CHECK_FALSE(parses("\\999"));
  CHECK_FALSE(parses("\\12"));   // too few digits at the end
  CHECK_FALSE(parses("\\1a2"));  // not three digits
  CHECK_FALSE(parses("a.\\4"));
}

TEST_CASE("Name::from_text: backslash-c escapes", "[dname]") {
  CHECK(wire_of(parse("a\\.b")) == "\003a.b\000"s);
  CHECK(wire_of(parse("\\\\")) == "\001\\\000"s);
  CHECK(wire_of(parse("\\$x")) == "\002$x\000"s);
  CHECK(wire_of(parse("a\\ b")) == "\003a b\000"s);
  CHECK_FALSE(parses("abc\\"));  // a backslash at the very end
}

TEST_CASE("Name::from_text: label of 63 bytes is accepted, 64 rejected", "[dname]") {
  const std::string l63(63, 'x'), l64(64, 'x');
  Name n = parse(l63 + ".com");
  CHECK(n.size() == 1 + 63 + 4 + 1);
  CHECK(n.label_count() == 2);
  CHECK_FALSE(parses(l64 + ".com"));
  CHECK_FALSE(parses("com." + l64));
  CHECK_FALSE(parses(l64));
  // Escapes count as one byte each.
  std::string esc;
  for (int i = 0; i < 63; ++i) esc += "\\046";
  CHECK(parse(esc).size() == 65);
  CHECK_FALSE(parses(esc + "\\046"));
}

TEST_CASE("Name::from_text: 255-byte wire limit", "[dname]") {
  const std::string l63(63, 'a');
  // 3 * (1 + 63) + (1 + 61) + root = 255.
  const std::string max = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  Name n = parse(max);
  CHECK(n.size() == 255);
  CHECK(n.label_count() == 4);
  CHECK(parse(max + ".").size() == 255);
  CHECK_FALSE(parses(l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b')));
  CHECK_FALSE(parses(max + ".c"));
  // 127 one-byte labels are 254 bytes + root = 255; one more is too long.
  std::string many;
  for (int i = 0; i < 127; ++i) many += "x.";
  CHECK(parse(many).label_count() == 127);
  CHECK(parse(many).size() == 255);
  CHECK_FALSE(parses(many + "y"));
}

TEST_CASE("Name: lowercasing is ASCII only and keeps the original", "[dname]") {
  Name n = parse("WwW.\\196X.\\065");  // \196 is Latin-1 'Ä', \065 is 'A'
  Name l = n.lowered();
  CHECK(wire_of(l) == "\003www\002\304x\001a\000"s);
  CHECK(wire_of(n) == "\003WwW\002\304X\001A\000"s);
  n.to_lower();
  CHECK(n == l);
  // Bytes near the letter range are not touched.
  CHECK(wire_of(parse("@[`{").lowered()) == "\004@[`{\000"s);
}

TEST_CASE("Name::equals_ci", "[dname]") {
  CHECK(parse("WWW.example.COM").equals_ci(parse("www.EXAMPLE.com")));
  CHECK(Name().equals_ci(parse(".")));
  CHECK_FALSE(parse("www.example.com").equals_ci(parse("www.example.net")));
  CHECK_FALSE(parse("ab.c").equals_ci(parse("a.bc")));  // same letters, other labels
  CHECK_FALSE(parse("a.b").equals_ci(parse("a.b.c")));
  // operator== is exact.
  CHECK_FALSE(parse("A.b") == parse("a.b"));
  CHECK(parse("a.b") == parse("a.b."));
}

TEST_CASE("Name::is_subdomain_of", "[dname]") {
  const Name zone = parse("bl.Example.com");
  CHECK(parse("bl.example.com").is_subdomain_of(zone));
  CHECK(parse("2.0.0.127.BL.example.COM").is_subdomain_of(zone));
  CHECK(parse("x.bl.example.com").is_subdomain_of(parse("com")));
  CHECK(parse("x.bl.example.com").is_subdomain_of(Name()));
  CHECK(Name().is_subdomain_of(Name()));
  CHECK_FALSE(parse("xbl.example.com").is_subdomain_of(zone));  // label-aligned only
  CHECK_FALSE(parse("example.com").is_subdomain_of(zone));
  CHECK_FALSE(parse("bl.example.net").is_subdomain_of(zone));
  CHECK_FALSE(Name().is_subdomain_of(zone));
  CHECK_FALSE(parse("b.l.example.com").is_subdomain_of(zone));
}

TEST_CASE("Name::append", "[dname]") {
  Name n = parse("www");
  REQUIRE(n.append(parse("Example.com")));
  CHECK(wire_of(n) == "\003www\007Example\003com\000"s);
  CHECK(n.label_count() == 3);
  CHECK(n.size() == 17);

  Name root;
  REQUIRE(root.append(parse("a.b")));
  CHECK(root == parse("a.b"));

  Name x = parse("a.b");
  REQUIRE(x.append(Name()));
  CHECK(x == parse("a.b"));
}

TEST_CASE("Name::append: refuses a result over 255 bytes", "[dname]") {
  const std::string l63(63, 'a');
  Name n = parse(l63 + "." + l63);                              // 129 bytes
  const Name suffix = parse(l63 + "." + std::string(60, 'b'));  // 126 bytes
  Name ok = n;
  REQUIRE(ok.append(suffix));  // 128 + 126 = 254
  CHECK(ok.size() == 254);
  CHECK(ok.label_count() == 4);

  const Name too_long = parse(l63 + "." + std::string(62, 'b'));  // 128 bytes: 256 total
  Name before = n;
  CHECK_FALSE(n.append(too_long));
  CHECK(n == before);
  CHECK(n.label_count() == 2);
}

TEST_CASE("Name::to_text: escaping as rbldnsd's dns_dntop", "[dname]") {
  CHECK(parse("www.Example.com").to_text() == "www.Example.com");
  CHECK(parse("com.").to_text() == "com");
  CHECK(Name().to_text() == ".");
  // Bytes <= 0x20 and >= 0x7f as \DDD.
  CHECK(parse("a\\032b").to_text() == "a\\032b");
  CHECK(parse("\\000\\001\\031").to_text() == "\\000\\001\\031");
  CHECK(parse("\\127\\128\\255").to_text() == "\\127\\128\\255");
  CHECK(parse("!~").to_text() == "!~");  // 0x21 and 0x7e are printable
  // A backslash before . ; " \ @ $.
  CHECK(parse("a\\.b").to_text() == "a\\.b");
  CHECK(parse("\\;\\\"\\\\\\@\\$").to_text() == "\\;\\\"\\\\\\@\\$");
  // Other punctuation is left alone.
  CHECK(parse("*._-(x)/+=").to_text() == "*._-(x)/+=");
}

TEST_CASE("Name::to_text round-trips through from_text", "[dname]") {
  // Every byte value, in two names of 128 bytes (three labels each).
  for (int first : {0, 128}) {
    std::string text;
    for (int c = first; c < first + 128; ++c) {
      const char* digits = "0123456789";
      text += '\\';
      text += digits[c / 100];
      text += digits[(c / 10) % 10];
      text += digits[c % 10];
      if (c % 60 == 59) text += '.';
    }
    const Name n = parse(text);
    CHECK(n.size() == 128 + 3 + 1);
    CHECK(parse(n.to_text()) == n);
  }
}

TEST_CASE("name_to_text truncates at the output size", "[dname]") {
  const Name n = parse("abc.def");
  std::array<char, 5> small{};
  CHECK(fastrbl::core::name_to_text(n.data(), small) == 5);
  CHECK(std::string_view(small.data(), 5) == "abc.d");
  std::array<char, 64> big{};
  CHECK(fastrbl::core::name_to_text(n.data(), big) == 7);
  std::array<char, 0> none{};
  CHECK(fastrbl::core::name_to_text(n.data(), none) == 0);
}

namespace {

// name_to_text() as it was written first, one byte at a time (rbldnsd's dns_dntop): the
// reference for the label-at-a-time copy.
std::string text_by_bytes(const std::uint8_t* wire, std::size_t limit) {
  std::string o;
  auto emit = [&](char c) {
    if (o.size() < limit) o.push_back(c);
  };
  if (wire[0] == 0) {
    emit('.');
    return o;
  }
  for (std::size_t pos = 0; wire[pos] != 0; pos += wire[pos] + 1u) {
    if (pos != 0) emit('.');
    for (std::size_t k = 1; k <= wire[pos]; ++k) {
      const std::uint8_t c = wire[pos + k];
      if (c <= 0x20 || c >= 0x7f) {
        emit('\\');
        emit(static_cast<char>('0' + c / 100));
        emit(static_cast<char>('0' + (c / 10) % 10));
        emit(static_cast<char>('0' + c % 10));
      } else {
        if (c == '.' || c == ';' || c == '"' || c == '\\' || c == '@' || c == '$') emit('\\');
        emit(static_cast<char>(c));
      }
    }
  }
  return o;
}

}  // namespace

TEST_CASE("name_to_text: every byte value, at every place in a label, at every output size", "[dname]") {
  std::size_t checked = 0;
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < 4; ++at) {
      // "abc" with byte b at `at` (or after it), then "de", then b alone.
      std::vector<std::uint8_t> wire = {4, 'a', 'b', 'c', 'x', 2, 'd', 'e', 1, 0, 0};
      wire[1 + at] = static_cast<std::uint8_t>(b);
      wire[9] = static_cast<std::uint8_t>(b);
      for (std::size_t limit = 0; limit <= 30; ++limit) {
        std::vector<char> out(limit, '#');
        const std::size_t n = fastrbl::core::name_to_text(wire.data(), out);
        INFO("byte " << b << " at " << at << " limit " << limit);
        CHECK(std::string(out.data(), n) == text_by_bytes(wire.data(), limit));
        ++checked;
      }
    }
  }
  CHECK(checked == 256 * 4 * 31);
}

TEST_CASE("Name::from_wire: well-formed uncompressed names", "[dname]") {
  Name n;
  const std::string w = "\003www\007Example\003com\000trailing"s;
  REQUIRE(Name::from_wire(bytes(w), &n));
  CHECK(wire_of(n) == "\003www\007Example\003com\000"s);
  CHECK(n.label_count() == 3);

  Name root = parse("x");
  REQUIRE(Name::from_wire(bytes("\000"s), &root));
  CHECK(root.is_root());
}

TEST_CASE("Name::from_wire: rejects malformed names and leaves the output alone", "[dname]") {
  const Name sentinel = parse("sentinel");
  auto rejects = [&](const std::string& w) {
    Name n = sentinel;
    bool ok = Name::from_wire(bytes(w), &n);
    CHECK(n == sentinel);
    return !ok;
  };
  CHECK(rejects(""s));
  CHECK(rejects("\003www"s));   // no root byte
  CHECK(rejects("\003ww"s));    // label past the end
  CHECK(rejects("\300\014"s));  // compression pointer
  CHECK(rejects("\003www\300\014"s));
  CHECK(rejects("\100"s + std::string(64, 'a') + "\000"s));  // label 64

  std::string max;
  for (int i = 0; i < 3; ++i) max += "\077"s + std::string(63, 'a');
  std::string at255 = max + "\075"s + std::string(61, 'b') + "\000"s;
  std::string at256 = max + "\076"s + std::string(62, 'b') + "\000"s;
  Name n;
  CHECK(Name::from_wire(bytes(at255), &n));
  CHECK(n.size() == 255);
  CHECK(rejects(at256));
}
