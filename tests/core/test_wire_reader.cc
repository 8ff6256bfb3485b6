// Tests for core::parse_query: one named case per malformed-input class (STYLE.md 33),
// following rbldnsd's drop rules (compat §6.1 step 3), then the positive cases.

#include "core/dns.h"
#include "core/wire_reader.h"
#include "packet_builder.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace core = fastrbl::core;
using core::EdnsState;
using core::ParsedQuery;
using core::ParseResult;
using fastrbl::test::make_edns_query;
using fastrbl::test::make_query;
using fastrbl::test::PacketBuilder;
namespace rrtype = core::rrtype;
namespace rrclass = core::rrclass;
using namespace std::string_view_literals;

namespace {

ParseResult parse(std::span<const std::uint8_t> p, ParsedQuery* q) { return core::parse_query(p, q); }

ParseResult parse(std::span<const std::uint8_t> p) {
  ParsedQuery q;
  return core::parse_query(p, &q);
}

std::vector<std::uint8_t> prefix(const std::vector<std::uint8_t>& v, std::size_t n) {
  return {v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n)};
}

// A question name of exactly `wire_len` bytes (root included), made of labels of 63 and
// a last shorter label.
std::string name_of_wire_len(std::size_t wire_len) {
  std::string text;
  std::size_t left = wire_len - 1;  // bytes for labels
  while (left > 0) {
    std::size_t label = left - 1 < 63 ? left - 1 : 63;
    if (left - (label + 1) == 1) --label;  // never leave a single byte (an empty label)
    text += std::string(label, 'a') + ".";
    left -= label + 1;
  }
  return text;
}

}  // namespace

// --- Malformed input: each class has its own case ---------------------------------------

TEST_CASE("parse_query malformed: short header is dropped", "[wire_reader][malformed]") {
  const auto full = make_query(".", rrtype::kA);  // 12 + 1 + 4 = 17 bytes, the minimum
  REQUIRE(full.size() == 17);
  CHECK(parse(full) == ParseResult::kOk);
  for (std::size_t n : {0u, 1u, 2u, 11u, 12u}) {
    INFO("length " << n);
    CHECK(parse(prefix(full, n)) == ParseResult::kDrop);
  }
}

TEST_CASE("parse_query malformed: truncated question is dropped", "[wire_reader][malformed]") {
  const auto full = make_query("www.example.com", rrtype::kTXT);
  REQUIRE(parse(full) == ParseResult::kOk);
  // Every cut inside the name or the QTYPE/QCLASS fields.
  for (std::size_t n = 13; n < full.size(); ++n) {
    INFO("length " << n << " of " << full.size());
    CHECK(parse(prefix(full, n)) == ParseResult::kDrop);
  }
}

TEST_CASE("parse_query malformed: trailing bytes after the question are ignored",
          "[wire_reader][malformed]") {
  auto pkt = PacketBuilder()
                 .header(7, core::kFlagRD, 0, 1, 0, 0, 0)
                 .question("bl.example", rrtype::kA)
                 .raw({0xde, 0xad, 0xbe, 0xef, 0xff, 0x00, 0x41})
                 .take();
  ParsedQuery q;
  REQUIRE(parse(pkt, &q) == ParseResult::kOk);
  CHECK(q.question_end == 12 + 12 + 4);
  CHECK(q.qtype == rrtype::kA);
  CHECK(q.edns == EdnsState::kNone);
  // Also when the counts claim records: garbage that cannot be walked is ignored.
  pkt[7] = 3;   // ANCOUNT
  pkt[11] = 1;  // ARCOUNT
  REQUIRE(parse(pkt, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);
}

TEST_CASE("parse_query malformed: QDCOUNT 0 is dropped", "[wire_reader][malformed]") {
  auto pkt = PacketBuilder().header(1, 0, 0, 0, 0, 0, 0).question("bl.example", rrtype::kA).take();
  CHECK(parse(pkt) == ParseResult::kDrop);
}

TEST_CASE("parse_query malformed: QDCOUNT 2 is dropped", "[wire_reader][malformed]") {
  auto two = PacketBuilder()
                 .header(1, 0, 0, 2, 0, 0, 0)
                 .question("a.bl.example", rrtype::kA)
                 .question("b.bl.example", rrtype::kA)
                 .take();
  CHECK(parse(two) == ParseResult::kDrop);
  auto lots = PacketBuilder().header(1, 0, 0, 0xffff, 0, 0, 0).question("bl.example", rrtype::kA).take();
  CHECK(parse(lots) == ParseResult::kDrop);
}

TEST_CASE("parse_query malformed: QR=1 (a response) is dropped", "[wire_reader][malformed]") {
  auto pkt = make_query("bl.example", rrtype::kA);
  pkt[2] |= core::kFlagQR;
  CHECK(parse(pkt) == ParseResult::kDrop);
  pkt[2] = core::kFlagQR | core::kFlagAA;  // with other flags too
  CHECK(parse(pkt) == ParseResult::kDrop);
}

TEST_CASE("parse_query malformed: label longer than 63 is dropped", "[wire_reader][malformed]") {
  for (std::uint8_t len : {std::uint8_t{64}, std::uint8_t{0x7f}, std::uint8_t{0x80}, std::uint8_t{0xbf}}) {
    INFO("label length byte " << int{len});
    PacketBuilder b;
    b.header(1, 0, 0, 1, 0, 0, 0).u8(len);
    for (int i = 0; i < len && i < 200; ++i) b.u8('a');
    b.u8(0).u16(rrtype::kA).u16(rrclass::kIN);
    CHECK(parse(b) == ParseResult::kDrop);
  }
  // 63 itself is fine.
  CHECK(parse(make_query(std::string(63, 'x') + ".example", rrtype::kA)) == ParseResult::kOk);
}

TEST_CASE("parse_query malformed: name longer than 255 is dropped, 255 accepted",
          "[wire_reader][malformed]") {
  const std::string n255 = name_of_wire_len(255);
  {
    auto pkt = make_query(n255, rrtype::kA);
    ParsedQuery q;
    REQUIRE(parse(pkt, &q) == ParseResult::kOk);
    CHECK(q.qname_len == 255);
    CHECK(q.question_end == 12 + 255 + 4);
  }
  // 127 one-byte labels: 255 bytes, the most labels a name can have.
  {
    std::string many;
    for (int i = 0; i < 127; ++i) many += "Z.";
    ParsedQuery q;
    REQUIRE(parse(make_query(many, rrtype::kA), &q) == ParseResult::kOk);
    CHECK(q.label_count == 127);
    CHECK(q.label_off[127] == 254);
    CHECK(q.lname[0] == 1);
    CHECK(q.lname[1] == 'z');
  }
  // 256 and more: built by hand, Name::from_text refuses them.
  for (std::size_t extra : {1u, 2u, 64u}) {
    INFO("wire length " << 255 + extra);
    PacketBuilder b;
    b.header(1, 0, 0, 1, 0, 0, 0);
    std::size_t left = 255 + extra - 1;
    while (left > 0) {
      std::size_t label = left - 1 < 63 ? left - 1 : 63;
      if (left - (label + 1) == 1) --label;
      b.u8(static_cast<std::uint8_t>(label));
      for (std::size_t i = 0; i < label; ++i) b.u8('b');
      left -= label + 1;
    }
    b.u8(0).u16(rrtype::kA).u16(rrclass::kIN);
    REQUIRE(b.size() == 12 + 255 + extra + 4);
    CHECK(parse(b) == ParseResult::kDrop);
  }
}

TEST_CASE("parse_query malformed: compression pointer in the question is dropped",
          "[wire_reader][malformed]") {
  // A pointer as the whole name, and after a first label (rbldnsd drops both).
  auto whole = PacketBuilder().header(1, 0, 0, 1, 0, 0, 0).raw({0xc0, 0x0c}).u16(1).u16(1).take();
  CHECK(parse(whole) == ParseResult::kDrop);
  auto tail = PacketBuilder()
                  .header(1, 0, 0, 1, 0, 0, 0)
                  .raw("\003www")
                  .raw({0xc0, 0x0c})
                  .u16(1)
                  .u16(1)
                  .raw({0, 0, 0, 0})
                  .take();
  CHECK(parse(tail) == ParseResult::kDrop);
  // A pointer loop to itself.
  auto loop = PacketBuilder().header(1, 0, 0, 1, 0, 0, 0).raw({0xc0, 0x0c, 0, 1, 0, 1}).take();
  CHECK(parse(loop) == ParseResult::kDrop);
}

TEST_CASE("parse_query malformed: label running past the packet is dropped", "[wire_reader][malformed]") {
  // Claims 20 bytes, has 5.
  auto past = PacketBuilder().header(1, 0, 0, 1, 0, 0, 0).u8(20).raw("abcde").take();
  CHECK(parse(past) == ParseResult::kDrop);
  // A label that fits in the packet only by eating the 4 QTYPE/QCLASS bytes.
  auto eats = PacketBuilder().header(1, 0, 0, 1, 0, 0, 0).u8(5).raw("abcde").u8(0).raw({0, 1, 0}).take();
  CHECK(parse(eats) == ParseResult::kDrop);
  // No root byte: the name ends exactly where the packet does.
  auto no_root = PacketBuilder().header(1, 0, 0, 1, 0, 0, 0).u8(3).raw("abc").raw({1, 1, 1, 1}).take();
  CHECK(parse(no_root) == ParseResult::kDrop);
}

TEST_CASE("parse_query malformed: OPT with a non-root owner is FORMERR", "[wire_reader][malformed][edns]") {
  auto named = PacketBuilder()
                   .header(1, 0, 0, 1, 0, 0, 1)
                   .question("bl.example", rrtype::kA)
                   .opt(4096, 0, false, {1, 'x', 0})
                   .take();
  ParsedQuery q;
  REQUIRE(parse(named, &q) == ParseResult::kOk);  // still answered, with FORMERR
  CHECK(q.edns == EdnsState::kFormErr);
  // A compressed owner pointing at the question is not the root either.
  auto pointer = PacketBuilder()
                     .header(1, 0, 0, 1, 0, 0, 1)
                     .question("bl.example", rrtype::kA)
                     .opt(4096, 0, false, {0xc0, 0x0c})
                     .take();
  REQUIRE(parse(pointer, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kFormErr);
}

TEST_CASE("parse_query malformed: duplicate OPT is FORMERR", "[wire_reader][malformed][edns]") {
  auto pkt = PacketBuilder()
                 .header(1, 0, 0, 1, 0, 0, 2)
                 .question("bl.example", rrtype::kA)
                 .opt(4096)
                 .opt(1232)
                 .take();
  ParsedQuery q;
  REQUIRE(parse(pkt, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kFormErr);
  // Also with another record between them.
  auto split = PacketBuilder()
                   .header(1, 0, 0, 1, 0, 0, 3)
                   .question("bl.example", rrtype::kA)
                   .opt(4096)
                   .rr(rrtype::kA, 60, {1, 2, 3, 4})
                   .opt(4096)
                   .take();
  REQUIRE(parse(split, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kFormErr);
}

TEST_CASE("parse_query malformed: OPT outside the additional section is ignored",
          "[wire_reader][malformed][edns]") {
  ParsedQuery q;
  // OPT-typed record in the answer section, nothing else.
  auto in_answer =
      PacketBuilder().header(1, 0, 0, 1, 1, 0, 0).question("bl.example", rrtype::kA).opt(4096).take();
  REQUIRE(parse(in_answer, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);
  // In the authority section, with a plain record in the additional section.
  auto in_authority = PacketBuilder()
                          .header(1, 0, 0, 1, 0, 1, 1)
                          .question("bl.example", rrtype::kA)
                          .opt(4096)
                          .rr(rrtype::kA, 60, {1, 2, 3, 4})
                          .take();
  REQUIRE(parse(in_authority, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);
  // One in the answer (even with a bad owner) and one real one: not a duplicate.
  auto both = PacketBuilder()
                  .header(1, 0, 0, 1, 1, 0, 1)
                  .question("bl.example", rrtype::kA)
                  .opt(512, 0, false, {1, 'x', 0})
                  .opt(1400, 0, true)
                  .take();
  REQUIRE(parse(both, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kPresent);
  CHECK(q.edns_udp_size == 1400);
  CHECK(q.edns_do);
}

TEST_CASE("parse_query malformed: unwalkable additional section is ignored",
          "[wire_reader][malformed][edns]") {
  ParsedQuery q;
  // ARCOUNT=1 and nothing after the question.
  auto missing = PacketBuilder().header(1, 0, 0, 1, 0, 0, 1).question("bl.example", rrtype::kA).take();
  REQUIRE(parse(missing, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);

  // An OPT cut inside its fixed part, for every cut.
  const auto full = make_edns_query("bl.example", rrtype::kA, 4096);
  REQUIRE(parse(full, &q) == ParseResult::kOk);
  REQUIRE(q.edns == EdnsState::kPresent);
  for (std::size_t n = q.question_end; n < full.size(); ++n) {
    INFO("cut at " << n << " of " << full.size());
    REQUIRE(parse(prefix(full, n), &q) == ParseResult::kOk);
    CHECK(q.edns == EdnsState::kNone);
  }

  // RDLENGTH past the end.
  auto rdlen =
      PacketBuilder().header(1, 0, 0, 1, 0, 0, 1).question("bl.example", rrtype::kA).opt(4096).take();
  rdlen[rdlen.size() - 1] = 8;
  REQUIRE(parse(rdlen, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);

  // A huge ANCOUNT before the OPT: the walk stops at the first record it cannot read.
  auto counts = make_edns_query("bl.example", rrtype::kA, 4096);
  counts[6] = 0xff;
  counts[7] = 0xff;
  REQUIRE(parse(counts, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);

  // A broken name in an earlier record (obsolete 0x40 label type).
  auto badname = PacketBuilder()
                     .header(1, 0, 0, 1, 0, 0, 2)
                     .question("bl.example", rrtype::kA)
                     .raw({0x41, 'x', 0, 1, 0, 1, 0, 0, 0, 0, 0, 0})
                     .opt(4096)
                     .take();
  REQUIRE(parse(badname, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);

  // A good OPT followed by an unwalkable record keeps what was found.
  auto good_then_bad = PacketBuilder()
                           .header(1, 0, 0, 1, 0, 0, 2)
                           .question("bl.example", rrtype::kA)
                           .opt(2048)
                           .raw({0xc0})
                           .take();
  REQUIRE(parse(good_then_bad, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kPresent);
  CHECK(q.edns_udp_size == 2048);
}

// --- Well-formed queries ------------------------------------------------------------------

TEST_CASE("parse_query: header fields and question", "[wire_reader]") {
  auto pkt = PacketBuilder()
                 .header(0xbeef, core::kFlagRD | core::kFlagAA, 0x30 | 0x05, 1, 2, 3, 0)
                 .question("bl.example", rrtype::kTXT, rrclass::kCH)
                 .take();
  ParsedQuery q;
  REQUIRE(parse(pkt, &q) == ParseResult::kOk);
  CHECK(q.id == 0xbeef);
  CHECK(q.flags1 == (core::kFlagRD | core::kFlagAA));
  CHECK(q.flags2 == 0x35);
  CHECK(q.qdcount == 1);
  CHECK(q.ancount == 2);
  CHECK(q.nscount == 3);
  CHECK(q.arcount == 0);
  CHECK(q.qtype == rrtype::kTXT);
  CHECK(q.qclass == rrclass::kCH);
  CHECK(q.qname_len == 12);
  CHECK(q.question_end == pkt.size());
  CHECK(q.opcode() == 0);
}

TEST_CASE("parse_query: opcodes and AA/TC are parsed, not dropped", "[wire_reader]") {
  // NOTIMP is decided by answer(), which needs the question to echo it.
  for (int opcode : {1, 2, 4, 5, 15}) {
    auto pkt = make_query("bl.example", rrtype::kA);
    pkt[2] = static_cast<std::uint8_t>((opcode << 3) | core::kFlagRD);
    ParsedQuery q;
    REQUIRE(parse(pkt, &q) == ParseResult::kOk);
    CHECK(q.opcode() == opcode);
  }
  auto tc = make_query("bl.example", rrtype::kA);
  tc[2] |= core::kFlagTC;
  CHECK(parse(tc) == ParseResult::kOk);
}

TEST_CASE("parse_query: lowercase copy of the name, packet untouched", "[wire_reader]") {
  const auto pkt = make_query("WwW.ExAmple.COM", rrtype::kA);
  const auto copy = pkt;
  ParsedQuery q;
  REQUIRE(parse(pkt, &q) == ParseResult::kOk);
  const std::string expect = std::string("\003www\007example\003com", 16) + '\0';
  CHECK(std::string(q.lname.begin(), q.lname.begin() + 17) == expect);
  CHECK(q.qname_len == 17);
  CHECK(pkt == copy);
  CHECK(pkt[13] == 'W');
}

TEST_CASE("parse_query: label offsets", "[wire_reader]") {
  ParsedQuery q;
  REQUIRE(parse(make_query("2.0.0.127.bl.example", rrtype::kA), &q) == ParseResult::kOk);
  REQUIRE(q.label_count == 6);
  const std::array<int, 7> expect{0, 2, 4, 6, 10, 13, 21};
  for (std::size_t i = 0; i <= 6; ++i) {
    INFO("label " << i);
    CHECK(q.label_off[i] == expect[i]);
  }
  CHECK(q.lname[q.label_off[6]] == 0);
  CHECK(q.lname[q.label_off[4]] == 2);  // "bl"

  REQUIRE(parse(make_query(".", rrtype::kNS), &q) == ParseResult::kOk);
  CHECK(q.label_count == 0);
  CHECK(q.label_off[0] == 0);
  CHECK(q.qname_len == 1);
  CHECK(q.question_end == 17);
}

TEST_CASE("parse_query: EDNS size, version and DO", "[wire_reader][edns]") {
  ParsedQuery q;
  REQUIRE(parse(make_edns_query("bl.example", rrtype::kA, 4096, true), &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kPresent);
  CHECK(q.edns_udp_size == 4096);
  CHECK(q.edns_version == 0);
  CHECK(q.edns_do);

  REQUIRE(parse(make_edns_query("bl.example", rrtype::kA, 0), &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kPresent);
  CHECK(q.edns_udp_size == 0);  // raw, callers clamp
  CHECK_FALSE(q.edns_do);

  auto v1 = PacketBuilder()
                .header(1, 0, 0, 1, 0, 0, 1)
                .question("bl.example", rrtype::kA)
                .opt(1232, 1, false)
                .take();
  REQUIRE(parse(v1, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kPresent);
  CHECK(q.edns_version == 1);
  CHECK(q.edns_udp_size == 1232);
}

TEST_CASE("parse_query: OPT after other records and with options", "[wire_reader][edns]") {
  // OPT after answer/authority records (TSIG-style layouts) and carrying an option.
  auto pkt = PacketBuilder()
                 .header(1, 0, 0, 1, 1, 1, 2)
                 .question("bl.example", rrtype::kA)
                 .rr(rrtype::kA, 1, {1, 2, 3, 4})
                 .rr(rrtype::kTXT, 1, {3, 'a', 'b', 'c'})
                 .rr(rrtype::kA, 1, {5, 6, 7, 8})
                 .raw({0, 0, 41, 0x05, 0xdc, 0, 0, 0x80, 0, 0, 8, 0, 10, 0, 4, 1, 2, 3, 4})
                 .take();
  ParsedQuery q;
  REQUIRE(parse(pkt, &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kPresent);
  CHECK(q.edns_udp_size == 1500);
  CHECK(q.edns_do);
}

TEST_CASE("parse_query: a reused ParsedQuery forgets the previous EDNS", "[wire_reader][edns]") {
  ParsedQuery q;
  REQUIRE(parse(make_edns_query("bl.example", rrtype::kA, 4096, true), &q) == ParseResult::kOk);
  REQUIRE(q.edns == EdnsState::kPresent);
  REQUIRE(parse(make_query("bl.example", rrtype::kA), &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kNone);
  CHECK(q.edns_udp_size == 0);
  CHECK_FALSE(q.edns_do);
  // And a FORMERR state does not stick either.
  auto dup = PacketBuilder().header(1, 0, 0, 1, 0, 0, 2).question("x", rrtype::kA).opt(512).opt(512).take();
  REQUIRE(parse(dup, &q) == ParseResult::kOk);
  REQUIRE(q.edns == EdnsState::kFormErr);
  REQUIRE(parse(make_edns_query("x", rrtype::kA, 1232), &q) == ParseResult::kOk);
  CHECK(q.edns == EdnsState::kPresent);
}

TEST_CASE("skip_name: plain, compressed and broken names", "[wire_reader]") {
  auto b = PacketBuilder().raw("\003www\007example\000"sv).raw({0xc0, 0x0c}).raw("\001a").raw({0xc0}).take();
  CHECK(core::skip_name(b, 0) == 13);
  CHECK(core::skip_name(b, 13) == 15);       // a pointer is two bytes
  CHECK(core::skip_name(b, 15) == 0);        // "\001a" then a cut pointer
  CHECK(core::skip_name(b, b.size()) == 0);  // nothing there
  auto obsolete = PacketBuilder().raw({0x40, 'a', 0}).take();
  CHECK(core::skip_name(obsolete, 0) == 0);
  auto past = PacketBuilder().raw({5, 'a', 'b'}).take();
  CHECK(core::skip_name(past, 0) == 0);
}

TEST_CASE("parse_query: the lowercase copy is exact for every byte value and name length", "[wire_reader]") {
  // Names of 1 to 255 wire bytes (labels of up to 63 bytes cycling through all 256 byte
  // values), so that every path of the lowercase copy (short, 8 and 16 bytes at a time,
  // overlapping tails) sees every byte value, letters next to 0x40/0x5b/0x60/0x7b and
  // bytes >= 0x80 included.
  for (std::size_t total = 1; total <= core::kMaxNameLen; ++total) {
    for (std::size_t shift : {0u, 37u, 128u, 191u}) {
      std::vector<std::uint8_t> p{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
      std::size_t left = total - 1;  // bytes before the root byte
      std::uint8_t v = static_cast<std::uint8_t>(shift);
      while (left >= 2) {
        const std::size_t len = std::min<std::size_t>(core::kMaxLabelLen, left - 1);
        p.push_back(static_cast<std::uint8_t>(len));
        for (std::size_t k = 0; k < len; ++k) p.push_back(v++);
        left -= len + 1;
      }
      if (left == 1) continue;  // one byte left over cannot be a label: skip this length
      p.push_back(0);
      p.insert(p.end(), {0, 1, 0, 1});
      ParsedQuery q;
      REQUIRE(parse(p, &q) == ParseResult::kOk);
      REQUIRE(q.qname_len == total);
      for (std::size_t i = 0; i < total; ++i) {
        INFO("length " << total << " shift " << shift << " byte " << i);
        REQUIRE(q.lname[i] == core::lower(p[core::kHeaderSize + i]));
      }
    }
  }
}
