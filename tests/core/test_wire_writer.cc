// Tests for core::ResponseWriter. Encodings are checked twice: against the expected bytes
// and by parsing the result with ldns, an independent DNS parser.

#include "core/dname.h"
#include "core/dns.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "packet_builder.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

// clang-format off
// ldns/common.h defines `bool`, `true` and `false` as macros unless stdbool.h was seen first.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)
#include <ldns/ldns.h>
// clang-format on

namespace core = fastrbl::core;
using core::ResponseWriter;
using core::Section;
using fastrbl::test::make_query;
using fastrbl::test::PacketBuilder;
namespace rrtype = core::rrtype;

namespace {

// The question used by most cases. Offsets: qname at 12, "Bl.Example.com" at 22,
// "Example.com" at 25, "com" at 33, root at 37; QTYPE at 38; question_end 42.
constexpr const char* kQname = "1.0.0.127.Bl.Example.com";
constexpr std::uint16_t kZoneOff = 22;
constexpr std::size_t kQuestionEnd = 42;

core::Name name(const char* text) {
  auto r = core::Name::from_text(text);
  REQUIRE(r.is_ok());
  return r.value();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Owns an ldns packet parsed from the writer's output.
class LdnsPacket {
 public:
  explicit LdnsPacket(std::span<const std::uint8_t> wire) {
    status_ = ldns_wire2pkt(&pkt_, wire.data(), wire.size());
  }
  ~LdnsPacket() {
    if (pkt_ != nullptr) ldns_pkt_free(pkt_);
  }
  LdnsPacket(const LdnsPacket&) = delete;
  LdnsPacket& operator=(const LdnsPacket&) = delete;

  bool ok() const { return status_ == LDNS_STATUS_OK; }
  const char* error() const { return ldns_get_errorstr_by_id(status_); }
  ldns_pkt* get() const { return pkt_; }

  ldns_rr_list* section(Section s) const {
    switch (s) {
      case Section::kAnswer:
        return ldns_pkt_answer(pkt_);
      case Section::kAuthority:
        return ldns_pkt_authority(pkt_);
      case Section::kAdditional:
        return ldns_pkt_additional(pkt_);
    }
    return nullptr;
  }
  std::size_t count(Section s) const { return ldns_rr_list_rr_count(section(s)); }
  ldns_rr* rr(Section s, std::size_t i) const { return ldns_rr_list_rr(section(s), i); }

 private:
  ldns_pkt* pkt_ = nullptr;
  ldns_status status_ = LDNS_STATUS_ERR;
};

std::string rdf_text(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  REQUIRE(s != nullptr);
  std::string out(s);
  std::free(s);
  return out;
}

// A fresh writer over `buf` started on `query` (which must parse).
struct Fixture {
  std::vector<std::uint8_t> query;
  std::vector<std::uint8_t> buf;
  ResponseWriter w;

  explicit Fixture(std::size_t limit = 512, std::size_t buf_size = 4096, const char* qname = kQname)
      : query(make_query(qname, rrtype::kA)), buf(buf_size, 0xaa), w(buf) {
    core::ParsedQuery q;
    REQUIRE(core::parse_query(query, &q) == core::ParseResult::kOk);
    w.begin(query, q.question_end, limit);
    w.header()[2] |= core::kFlagQR;
  }
  std::span<const std::uint8_t> finish() { return {buf.data(), w.finish()}; }
  std::vector<std::uint8_t> bytes_after_question() const {
    return {buf.begin() + static_cast<std::ptrdiff_t>(kQuestionEnd),
            buf.begin() + static_cast<std::ptrdiff_t>(w.size())};
  }
};

constexpr std::array<std::uint8_t, 4> kAddr{127, 0, 0, 2};

}  // namespace

TEST_CASE("ResponseWriter::begin copies header and question, zeroes the counts", "[wire_writer]") {
  // A query with EDNS and other records: only [0, question_end) is copied.
  auto query = PacketBuilder()
                   .header(0xabcd, core::kFlagRD, 0x20, 1, 1, 1, 1)
                   .question(kQname, rrtype::kTXT)
                   .raw({0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4})
                   .raw({0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4})
                   .opt(4096)
                   .take();
  core::ParsedQuery q;
  REQUIRE(core::parse_query(query, &q) == core::ParseResult::kOk);
  REQUIRE(q.question_end == kQuestionEnd);
  std::vector<std::uint8_t> buf(600, 0xaa);
  ResponseWriter w(buf);
  w.begin(query, q.question_end, 512);
  CHECK(w.size() == kQuestionEnd);
  CHECK(w.limit() == 512);
  for (auto s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) CHECK(w.count(s) == 0);
  CHECK(std::equal(buf.begin(), buf.begin() + 6, query.begin()));  // ID, flags, QDCOUNT
  CHECK(std::all_of(buf.begin() + 6, buf.begin() + 12, [](auto b) { return b == 0; }));
  CHECK(std::equal(buf.begin() + 12, buf.begin() + 42, query.begin() + 12));  // question
  CHECK(std::all_of(buf.begin() + 42, buf.end(), [](auto b) { return b == 0xaa; }));
  CHECK(w.finish() == kQuestionEnd);

  LdnsPacket p({buf.data(), kQuestionEnd});
  REQUIRE(p.ok());
  CHECK(ldns_pkt_id(p.get()) == 0xabcd);
  CHECK(ldns_pkt_qdcount(p.get()) == 1);
  CHECK(ldns_pkt_ancount(p.get()) == 0);
  CHECK(ldns_pkt_arcount(p.get()) == 0);
}

TEST_CASE("ResponseWriter: limit is clamped to the buffer", "[wire_writer]") {
  Fixture f(4096, 100);
  CHECK(f.w.limit() == 100);
  f.w.set_limit(50);
  CHECK(f.w.limit() == 50);
  f.w.set_limit(100000);
  CHECK(f.w.limit() == 100);
}

TEST_CASE("ResponseWriter: A record encoding", "[wire_writer]") {
  Fixture f;
  REQUIRE(f.w.add_a(12, 3600, kAddr.data()));
  CHECK(f.w.count(Section::kAnswer) == 1);
  CHECK(f.w.last_ttl_offset() == kQuestionEnd + 6);
  CHECK(f.bytes_after_question() ==
        std::vector<std::uint8_t>{0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 127, 0, 0, 2});
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  REQUIRE(p.count(Section::kAnswer) == 1);
  ldns_rr* rr = p.rr(Section::kAnswer, 0);
  CHECK(rdf_text(ldns_rr_owner(rr)) == "1.0.0.127.Bl.Example.com.");  // the query's case
  CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_A);
  CHECK(ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN);
  CHECK(ldns_rr_ttl(rr) == 3600);
  CHECK(rdf_text(ldns_rr_rdf(rr, 0)) == "127.0.0.2");
}

TEST_CASE("ResponseWriter: TXT record encoding", "[wire_writer]") {
  Fixture f(4096);
  const std::string text = "Listed: see http://bl.example/?127.0.0.2";
  const std::vector<std::uint8_t> tb(text.begin(), text.end());
  REQUIRE(f.w.add_txt(12, core::rrclass::kIN, 900, tb));
  const std::vector<std::uint8_t> empty;
  REQUIRE(f.w.add_txt(12, core::rrclass::kIN, 900, empty));
  const std::vector<std::uint8_t> t255(255, 'x');
  REQUIRE(f.w.add_txt(12, core::rrclass::kIN, 900, t255));
  const std::vector<std::uint8_t> t300(300, 'y');
  REQUIRE(f.w.add_txt(12, core::rrclass::kCH, 0, t300));  // cut to one 255-byte string
  CHECK(f.w.count(Section::kAnswer) == 4);
  // First record: header, RDLENGTH = 1 + len, the length byte, the text.
  auto after = f.bytes_after_question();
  REQUIRE(after.size() == (12 + 1 + text.size()) + 13 + (12 + 256) + (12 + 256));
  CHECK(after[10] == 0);
  CHECK(after[11] == 1 + text.size());
  CHECK(after[12] == text.size());

  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  REQUIRE(p.count(Section::kAnswer) == 4);
  ldns_rr* r0 = p.rr(Section::kAnswer, 0);
  CHECK(ldns_rr_get_type(r0) == LDNS_RR_TYPE_TXT);
  CHECK(ldns_rr_ttl(r0) == 900);
  REQUIRE(ldns_rr_rd_count(r0) == 1);
  CHECK(rdf_text(ldns_rr_rdf(r0, 0)) == "\"" + text + "\"");
  CHECK(rdf_text(ldns_rr_rdf(p.rr(Section::kAnswer, 1), 0)) == "\"\"");
  CHECK(rdf_text(ldns_rr_rdf(p.rr(Section::kAnswer, 2), 0)) == "\"" + std::string(255, 'x') + "\"");
  ldns_rr* r3 = p.rr(Section::kAnswer, 3);
  CHECK(ldns_rr_get_class(r3) == LDNS_RR_CLASS_CH);
  REQUIRE(ldns_rr_rd_count(r3) == 1);
  CHECK(rdf_text(ldns_rr_rdf(r3, 0)) == "\"" + std::string(255, 'y') + "\"");
}

TEST_CASE("ResponseWriter: NS records compressed against the question", "[wire_writer]") {
  Fixture f;
  const auto ns1 = name("ns1.bl.example.com");
  const auto ns2 = name("NS2.BL.EXAMPLE.COM");  // compression is case-insensitive
  REQUIRE(f.w.add_ns(kZoneOff, 3600, ns1.data()));
  REQUIRE(f.w.add_ns(kZoneOff, 3600, ns2.data()));
  CHECK(f.bytes_after_question() ==
        std::vector<std::uint8_t>{0xc0, 22, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, 'n', 's', '1', 0xc0, 22,
                                  0xc0, 22, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, 'N', 'S', '2', 0xc0, 22});
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  REQUIRE(p.count(Section::kAnswer) == 2);
  ldns_rr* rr = p.rr(Section::kAnswer, 0);
  CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS);
  CHECK(rdf_text(ldns_rr_owner(rr)) == "Bl.Example.com.");  // zone suffix of the question
  CHECK(lower(rdf_text(ldns_rr_rdf(rr, 0))) == "ns1.bl.example.com.");
  CHECK(lower(rdf_text(ldns_rr_rdf(p.rr(Section::kAnswer, 1), 0))) == "ns2.bl.example.com.");
}

TEST_CASE("ResponseWriter: RDATA names compressed against each other", "[wire_writer]") {
  Fixture f;
  const auto a = name("ns.other.net");
  const auto b = name("ns2.other.net");
  const auto c = name("ns.other.net");
  REQUIRE(f.w.add_ns(kZoneOff, 60, a.data()));
  const std::size_t a_rdata = kQuestionEnd + 12;
  REQUIRE(f.w.add_ns(kZoneOff, 60, b.data()));
  REQUIRE(f.w.add_ns(kZoneOff, 60, c.data()));
  auto after = f.bytes_after_question();
  // First: uncompressed (only the root is shared with the question).
  REQUIRE(after.size() == (12 + 14) + (12 + 6) + (12 + 2));
  CHECK(after[11] == 14);
  // Second: "\003ns2" + pointer to "other.net" inside the first rdata.
  const std::vector<std::uint8_t> second(after.begin() + 26 + 12, after.begin() + 26 + 18);
  CHECK(second == std::vector<std::uint8_t>{3, 'n', 's', '2', 0xc0, static_cast<std::uint8_t>(a_rdata + 3)});
  // Third: a single pointer to the first rdata.
  CHECK(after[44 + 11] == 2);
  CHECK(after[44 + 12] == 0xc0);
  CHECK(after[44 + 13] == a_rdata);

  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  REQUIRE(p.count(Section::kAnswer) == 3);
  CHECK(rdf_text(ldns_rr_rdf(p.rr(Section::kAnswer, 0), 0)) == "ns.other.net.");
  CHECK(rdf_text(ldns_rr_rdf(p.rr(Section::kAnswer, 1), 0)) == "ns2.other.net.");
  CHECK(rdf_text(ldns_rr_rdf(p.rr(Section::kAnswer, 2), 0)) == "ns.other.net.");
}

TEST_CASE("ResponseWriter: SOA record encoding", "[wire_writer]") {
  Fixture f;
  const auto mname = name("ns1.bl.example.com");
  const auto rname = name("hostmaster.example.com");
  core::SoaFields soa;
  soa.mname = mname.data();
  soa.rname = rname.data();
  soa.serial = 2024010101;
  soa.refresh = 3600;
  soa.retry = 600;
  soa.expire = 604800;
  soa.minimum = 300;
  REQUIRE(f.w.add_soa(kZoneOff, 7200, soa));
  auto after = f.bytes_after_question();
  // mname "\003ns1"+ptr (6), rname "\012hostmaster"+ptr to "Example.com" (13), 5 x 4.
  REQUIRE(after.size() == 12 + 6 + 13 + 20);
  CHECK(after[11] == 39);
  CHECK(after[12 + 6 + 11] == 0xc0);
  CHECK(after[12 + 6 + 12] == 25);

  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  REQUIRE(p.count(Section::kAnswer) == 1);
  ldns_rr* rr = p.rr(Section::kAnswer, 0);
  CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA);
  CHECK(ldns_rr_ttl(rr) == 7200);
  CHECK(rdf_text(ldns_rr_owner(rr)) == "Bl.Example.com.");
  REQUIRE(ldns_rr_rd_count(rr) == 7);
  CHECK(lower(rdf_text(ldns_rr_rdf(rr, 0))) == "ns1.bl.example.com.");
  CHECK(lower(rdf_text(ldns_rr_rdf(rr, 1))) == "hostmaster.example.com.");
  CHECK(ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)) == 2024010101);
  CHECK(ldns_rdf2native_int32(ldns_rr_rdf(rr, 3)) == 3600);
  CHECK(ldns_rdf2native_int32(ldns_rr_rdf(rr, 4)) == 600);
  CHECK(ldns_rdf2native_int32(ldns_rr_rdf(rr, 5)) == 604800);
  CHECK(ldns_rdf2native_int32(ldns_rr_rdf(rr, 6)) == 300);
}

TEST_CASE("ResponseWriter: MX record encoding", "[wire_writer]") {
  Fixture f;
  const auto ext = name("mx.example.net");
  const auto inzone = name("mx.bl.example.com");
  REQUIRE(f.w.add_mx(12, 300, 10, ext.data()));
  REQUIRE(f.w.add_mx(12, 300, 20, inzone.data()));
  // Exchanges are written uncompressed, even a name under the question (as rbldnsd does).
  auto after = f.bytes_after_question();
  REQUIRE(after.size() == (12 + 2 + 16) + (12 + 2 + 19));
  CHECK(after[11] == 18);
  CHECK(after[12] == 0);
  CHECK(after[13] == 10);
  CHECK(after[30 + 11] == 21);
  CHECK(after[30 + 14] == 2);  // the label "mx", not a pointer
  // And they are not compression targets: a later NS for the same name is written out.
  f.w.set_section(Section::kAuthority);
  REQUIRE(f.w.add_ns(12, 300, ext.data()));
  CHECK(f.bytes_after_question().size() == after.size() + 12 + 16);

  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  REQUIRE(p.count(Section::kAnswer) == 2);
  ldns_rr* rr = p.rr(Section::kAnswer, 0);
  CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_MX);
  CHECK(ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) == 10);
  CHECK(rdf_text(ldns_rr_rdf(rr, 1)) == "mx.example.net.");
  ldns_rr* r2 = p.rr(Section::kAnswer, 1);
  CHECK(ldns_rdf2native_int16(ldns_rr_rdf(r2, 0)) == 20);
  CHECK(lower(rdf_text(ldns_rr_rdf(r2, 1))) == "mx.bl.example.com.");
}

TEST_CASE("ResponseWriter: sections, glue and OPT", "[wire_writer]") {
  Fixture f;
  const auto ns1 = name("ns1.bl.example.com");
  const auto ns2 = name("ns2.elsewhere.org");
  REQUIRE(f.w.add_a(12, 60, kAddr.data()));
  f.w.set_section(Section::kAuthority);
  REQUIRE(f.w.add_ns(kZoneOff, 3600, ns1.data()));
  REQUIRE(f.w.add_ns(kZoneOff, 3600, ns2.data()));
  f.w.set_section(Section::kAdditional);
  const std::array<std::uint8_t, 4> glue{192, 0, 2, 53};
  const std::size_t glue_at = f.w.size();
  REQUIRE(f.w.add_a_named(ns1.data(), 3600, glue.data()));
  // The glue owner is a pointer to the NS rdata name written before.
  CHECK(f.buf[glue_at] == 0xc0);
  CHECK(f.w.last_ttl_offset() == glue_at + 2 + 4);
  REQUIRE(f.w.add_opt(2048, 0, 0, false));
  CHECK(f.w.count(Section::kAnswer) == 1);
  CHECK(f.w.count(Section::kAuthority) == 2);
  CHECK(f.w.count(Section::kAdditional) == 2);

  auto out = f.finish();
  CHECK(out[6] == 0);
  CHECK(out[7] == 1);
  CHECK(out[9] == 2);
  CHECK(out[11] == 2);
  LdnsPacket p(out);
  REQUIRE(p.ok());
  CHECK(p.count(Section::kAnswer) == 1);
  CHECK(p.count(Section::kAuthority) == 2);
  REQUIRE(p.count(Section::kAdditional) == 1);  // ldns moves OPT into its EDNS fields
  ldns_rr* g = p.rr(Section::kAdditional, 0);
  CHECK(lower(rdf_text(ldns_rr_owner(g))) == "ns1.bl.example.com.");
  CHECK(ldns_rr_get_type(g) == LDNS_RR_TYPE_A);
  CHECK(ldns_rr_ttl(g) == 3600);
  CHECK(rdf_text(ldns_rr_rdf(g, 0)) == "192.0.2.53");
  CHECK(ldns_pkt_edns(p.get()));
  CHECK(ldns_pkt_edns_udp_size(p.get()) == 2048);
  CHECK(ldns_pkt_edns_extended_rcode(p.get()) == 0);
  CHECK(ldns_pkt_edns_version(p.get()) == 0);
  CHECK_FALSE(ldns_pkt_edns_do(p.get()));
}

TEST_CASE("ResponseWriter: OPT fields (BADVERS, DO)", "[wire_writer]") {
  Fixture f;
  REQUIRE(f.w.add_opt(1232, core::kExtRcodeBadVers, 0, true));
  auto after = f.bytes_after_question();
  CHECK(after == std::vector<std::uint8_t>{0, 0, 41, 0x04, 0xd0, 1, 0, 0x80, 0, 0, 0});
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(ldns_pkt_edns(p.get()));
  CHECK(ldns_pkt_edns_udp_size(p.get()) == 1232);
  CHECK(ldns_pkt_edns_extended_rcode(p.get()) == 1);
  CHECK(ldns_pkt_edns_do(p.get()));
}

TEST_CASE("ResponseWriter: OPT ignores the limit but not the buffer", "[wire_writer]") {
  // The limit is what the client allows; callers keep kOptRecordSize spare below it.
  Fixture f(kQuestionEnd, 4096);
  CHECK(f.w.add_opt(512, 0, 0, false));
  CHECK(f.w.size() == kQuestionEnd + core::kOptRecordSize);

  Fixture g(4096, kQuestionEnd + core::kOptRecordSize - 1);
  CHECK_FALSE(g.w.add_opt(512, 0, 0, false));
  CHECK(g.w.size() == kQuestionEnd);
  CHECK(g.w.count(Section::kAdditional) == 0);
}

TEST_CASE("ResponseWriter: the limit is respected exactly", "[wire_writer]") {
  Fixture f(kQuestionEnd + 15);
  CHECK_FALSE(f.w.add_a(12, 60, kAddr.data()));
  CHECK(f.w.size() == kQuestionEnd);
  CHECK(f.w.count(Section::kAnswer) == 0);
  f.w.set_limit(kQuestionEnd + 16);
  CHECK(f.w.add_a(12, 60, kAddr.data()));
  CHECK(f.w.size() == kQuestionEnd + 16);
  CHECK_FALSE(f.w.add_a(12, 60, kAddr.data()));

  const std::vector<std::uint8_t> text(20, 't');
  f.w.set_limit(f.w.size() + 12 + 1 + 19);
  CHECK_FALSE(f.w.add_txt(12, core::rrclass::kIN, 60, text));
  f.w.set_limit(f.w.size() + 12 + 1 + 20);
  CHECK(f.w.add_txt(12, core::rrclass::kIN, 60, text));
  CHECK(f.w.size() == f.w.limit());
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(p.count(Section::kAnswer) == 2);
}

TEST_CASE("ResponseWriter: a record that does not fit leaves nothing behind", "[wire_writer]") {
  const auto ns = name("a.very.long.nameserver.example.net");  // 36 bytes, nothing shared
  const auto glue_owner = name("glue.example.net");
  const auto rname = name("hostmaster.example.net");
  core::SoaFields soa;
  soa.mname = ns.data();
  soa.rname = rname.data();
  // Every limit from "nothing fits" to "one byte short" for each record kind.
  for (std::size_t room = 0; room < 12 + 2 + ns.size() + rname.size() + 20; ++room) {
    INFO("room " << room);
    Fixture f(kQuestionEnd + room);
    REQUIRE(f.w.add_ns(kZoneOff, 1, name("x.bl.example.com").data()) == (room >= 16));
    const std::vector<std::uint8_t> before(f.buf.begin(),
                                           f.buf.begin() + static_cast<std::ptrdiff_t>(f.w.size()));
    const auto m = f.w.mark();
    auto unchanged = [&] {
      CHECK(f.w.size() == m.size);
      CHECK(f.w.mark().counts == m.counts);
      CHECK(f.w.mark().ncompr == m.ncompr);
      CHECK(std::equal(before.begin(), before.end(), f.buf.begin()));
      // Nothing at or past the limit was touched.
      CHECK(std::all_of(f.buf.begin() + static_cast<std::ptrdiff_t>(f.w.limit()), f.buf.end(),
                        [](auto b) { return b == 0xaa; }));
    };
    f.w.set_section(Section::kAuthority);
    if (12 + ns.size() > f.w.limit() - f.w.size()) {
      CHECK_FALSE(f.w.add_ns(kZoneOff, 60, ns.data()));
      unchanged();
    }
    if (12 + 2 + ns.size() > f.w.limit() - f.w.size()) {
      CHECK_FALSE(f.w.add_mx(12, 60, 5, ns.data()));
      unchanged();
    }
    CHECK_FALSE(f.w.add_soa(kZoneOff, 60, soa));
    unchanged();
    f.w.set_section(Section::kAdditional);
    if (glue_owner.size() + 14 > f.w.limit() - f.w.size()) {
      CHECK_FALSE(f.w.add_a_named(glue_owner.data(), 60, kAddr.data()));
      unchanged();
    }
    // What was written before still parses.
    LdnsPacket p(f.finish());
    CHECK(p.ok());
  }
}

TEST_CASE("ResponseWriter: a failed name does not leave compression targets", "[wire_writer]") {
  // The SOA names fit but its 20 fixed bytes do not: the names were copied and registered,
  // and must be forgotten on failure.
  const auto mname = name("ns.zone.test");
  const auto rname = name("h.zone.test");
  core::SoaFields soa;
  soa.mname = mname.data();
  soa.rname = rname.data();
  Fixture f(kQuestionEnd + 12 + mname.size() + 4 + 19);
  const auto m = f.w.mark();
  REQUIRE_FALSE(f.w.add_soa(kZoneOff, 60, soa));
  CHECK(f.w.mark().ncompr == m.ncompr);
  CHECK(f.w.size() == m.size);
  // Writing other records and then the same names again gives a valid packet.
  f.w.set_limit(512);
  REQUIRE(f.w.add_a(12, 60, kAddr.data()));
  REQUIRE(f.w.add_ns(kZoneOff, 60, name("x.zone.test").data()));
  REQUIRE(f.w.add_soa(kZoneOff, 60, soa));
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  REQUIRE(p.count(Section::kAnswer) == 3);
  CHECK(rdf_text(ldns_rr_rdf(p.rr(Section::kAnswer, 1), 0)) == "x.zone.test.");
  ldns_rr* s = p.rr(Section::kAnswer, 2);
  CHECK(rdf_text(ldns_rr_rdf(s, 0)) == "ns.zone.test.");
  CHECK(rdf_text(ldns_rr_rdf(s, 1)) == "h.zone.test.");
}

TEST_CASE("ResponseWriter: rollback to a mark", "[wire_writer]") {
  Fixture f;
  REQUIRE(f.w.add_a(12, 60, kAddr.data()));
  f.w.set_section(Section::kAuthority);
  const auto m = f.w.mark();
  const std::size_t size_before = f.w.size();
  REQUIRE(f.w.add_ns(kZoneOff, 60, name("ns1.other.net").data()));
  REQUIRE(f.w.add_ns(kZoneOff, 60, name("ns2.other.net").data()));
  f.w.set_section(Section::kAdditional);
  REQUIRE(f.w.add_a_named(name("ns1.other.net").data(), 60, kAddr.data()));
  CHECK(f.w.count(Section::kAuthority) == 2);
  CHECK(f.w.count(Section::kAdditional) == 1);
  f.w.rollback(m);
  CHECK(f.w.size() == size_before);
  CHECK(f.w.count(Section::kAnswer) == 1);
  CHECK(f.w.count(Section::kAuthority) == 0);
  CHECK(f.w.count(Section::kAdditional) == 0);
  CHECK(f.w.mark().ncompr == m.ncompr);

  // A smaller group after the rollback; names must not point into the discarded bytes.
  f.w.set_section(Section::kAuthority);
  REQUIRE(f.w.add_ns(kZoneOff, 60, name("ns2.other.net").data()));
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(p.count(Section::kAnswer) == 1);
  REQUIRE(p.count(Section::kAuthority) == 1);
  CHECK(p.count(Section::kAdditional) == 0);
  CHECK(rdf_text(ldns_rr_rdf(p.rr(Section::kAuthority, 0), 0)) == "ns2.other.net.");
}

TEST_CASE("ResponseWriter: at most 255 records per section", "[wire_writer]") {
  Fixture f(core::kMaxTcpMessage, core::kMaxTcpMessage);
  for (int i = 0; i < 255; ++i) {
    const std::array<std::uint8_t, 4> a{127, 0, static_cast<std::uint8_t>(i / 256),
                                        static_cast<std::uint8_t>(i)};
    REQUIRE(f.w.add_a(12, 60, a.data()));
  }
  CHECK_FALSE(f.w.add_a(12, 60, kAddr.data()));
  CHECK_FALSE(f.w.add_txt(12, core::rrclass::kIN, 60, std::vector<std::uint8_t>{'x'}));
  CHECK_FALSE(f.w.add_ns(kZoneOff, 60, name("ns.bl.example.com").data()));
  CHECK(f.w.count(Section::kAnswer) == 255);
  const std::size_t size = f.w.size();
  CHECK(size == kQuestionEnd + 255 * 16);

  // The cap is per section.
  f.w.set_section(Section::kAuthority);
  REQUIRE(f.w.add_ns(kZoneOff, 60, name("ns.bl.example.com").data()));
  f.w.set_section(Section::kAdditional);
  for (int i = 0; i < 255; ++i) REQUIRE(f.w.add_a_named(name("ns.bl.example.com").data(), 60, kAddr.data()));
  CHECK_FALSE(f.w.add_a_named(name("ns.bl.example.com").data(), 60, kAddr.data()));
  CHECK(f.w.count(Section::kAdditional) == 255);

  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(p.count(Section::kAnswer) == 255);
  CHECK(p.count(Section::kAuthority) == 1);
  CHECK(p.count(Section::kAdditional) == 255);
}

// --- merge_answer_ttl: rbldnsd's TTL and duplicate rules (compat §6.3) ---------------------

namespace {

std::vector<std::uint8_t> txt_rdata(const std::string& s) {
  std::vector<std::uint8_t> r{static_cast<std::uint8_t>(s.size())};
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

// Adds an A record the way AnswerSink does: merge first, skip a duplicate.
bool merge_a(ResponseWriter& w, std::array<std::uint8_t, 4> a, std::uint32_t ttl) {
  const auto t = w.merge_answer_ttl(rrtype::kA, a, ttl);
  if (!t) return false;
  REQUIRE(w.add_a(12, *t, a.data()));
  return true;
}

bool merge_txt(ResponseWriter& w, const std::string& s, std::uint32_t ttl) {
  const auto rd = txt_rdata(s);
  const auto t = w.merge_answer_ttl(rrtype::kTXT, rd, ttl);
  if (!t) return false;
  REQUIRE(w.add_txt(12, core::rrclass::kIN, *t, std::span<const std::uint8_t>(rd).subspan(1)));
  return true;
}

std::vector<std::uint32_t> answer_ttls(const LdnsPacket& p) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < p.count(Section::kAnswer); ++i)
    out.push_back(ldns_rr_ttl(p.rr(Section::kAnswer, i)));
  return out;
}

}  // namespace

TEST_CASE("merge_answer_ttl: first record of a type keeps its TTL", "[wire_writer][merge]") {
  Fixture f;
  CHECK(f.w.merge_answer_ttl(rrtype::kA, kAddr, 600).value_or(0) == 600);
  REQUIRE(merge_a(f.w, {127, 0, 0, 2}, 600));
  // Another type is independent.
  CHECK(f.w.merge_answer_ttl(rrtype::kTXT, txt_rdata("x"), 900).value_or(0) == 900);
}

TEST_CASE("merge_answer_ttl: identical record is skipped", "[wire_writer][merge]") {
  Fixture f;
  REQUIRE(merge_a(f.w, {127, 0, 0, 2}, 600));
  REQUIRE(merge_a(f.w, {127, 0, 0, 3}, 600));
  CHECK_FALSE(merge_a(f.w, {127, 0, 0, 2}, 600));  // same TTL
  CHECK_FALSE(merge_a(f.w, {127, 0, 0, 3}, 900));  // higher TTL: not the first record of its type
  CHECK_FALSE(merge_a(f.w, {127, 0, 0, 2}, 3600));
  REQUIRE(merge_txt(f.w, "listed", 600));
  CHECK_FALSE(merge_txt(f.w, "listed", 600));
  CHECK(merge_txt(f.w, "Listed", 600));  // rdata compares exactly
  CHECK(f.w.count(Section::kAnswer) == 4);
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(answer_ttls(p) == std::vector<std::uint32_t>{600, 600, 600, 600});
}

TEST_CASE("merge_answer_ttl: a lower TTL patches existing records of the type", "[wire_writer][merge]") {
  // rbldnsd: A TTLs of 600 and 120 from two datasets -> both 120; TXT adjusted separately.
  Fixture f;
  REQUIRE(merge_a(f.w, {127, 0, 0, 2}, 600));
  REQUIRE(merge_txt(f.w, "first", 600));
  REQUIRE(merge_a(f.w, {127, 0, 0, 3}, 600));
  REQUIRE(merge_txt(f.w, "second", 900));  // higher: takes 600
  REQUIRE(merge_a(f.w, {127, 0, 0, 4}, 120));
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(answer_ttls(p) == std::vector<std::uint32_t>{120, 600, 120, 600, 120});
}

TEST_CASE("merge_answer_ttl: a higher TTL takes the existing lower one", "[wire_writer][merge]") {
  Fixture f;
  REQUIRE(merge_a(f.w, {127, 0, 0, 2}, 120));
  CHECK(f.w.merge_answer_ttl(rrtype::kA, std::array<std::uint8_t, 4>{127, 0, 0, 3}, 3000).value_or(0) == 120);
  REQUIRE(merge_a(f.w, {127, 0, 0, 3}, 3000));
  REQUIRE(merge_a(f.w, {127, 0, 0, 4}, 120));  // equal: unchanged
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(answer_ttls(p) == std::vector<std::uint32_t>{120, 120, 120});
}

TEST_CASE("merge_answer_ttl: identical record with a lower TTL lowers the set", "[wire_writer][merge]") {
  // Documented in wire_writer.h: the duplicate is skipped, but the lower TTL still applies
  // to every existing record of the type.
  Fixture f;
  REQUIRE(merge_a(f.w, {127, 0, 0, 2}, 600));
  REQUIRE(merge_a(f.w, {127, 0, 0, 3}, 600));
  CHECK_FALSE(merge_a(f.w, {127, 0, 0, 3}, 60));
  CHECK(f.w.count(Section::kAnswer) == 2);
  LdnsPacket p(f.finish());
  REQUIRE(p.ok());
  CHECK(answer_ttls(p) == std::vector<std::uint32_t>{60, 60});
}

TEST_CASE("merge_answer_ttl: a TTL of 0 is a TTL, not a duplicate", "[wire_writer][merge]") {
  Fixture f;
  const auto first = f.w.merge_answer_ttl(rrtype::kA, kAddr, 0);
  REQUIRE(first.has_value());
  CHECK(*first == 0);
  REQUIRE(f.w.add_a(12, *first, kAddr.data()));
  // A different record of the type takes the existing lowest TTL, 0.
  const auto second = f.w.merge_answer_ttl(rrtype::kA, std::array<std::uint8_t, 4>{127, 0, 0, 9}, 300);
  REQUIRE(second.has_value());
  CHECK(*second == 0);
  // The identical record is still recognised.
  CHECK_FALSE(f.w.merge_answer_ttl(rrtype::kA, kAddr, 0).has_value());
}
