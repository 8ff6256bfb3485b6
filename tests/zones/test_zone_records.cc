// Tests for zones/zone_records: add_soa() and add_ns_set() (templates when they apply) write
// the same bytes as write_soa() and write_ns_set() (the generic writer), for every NS
// rotation, with and without glue, in ANSWER and AUTHORITY, for questions at, under and
// sharing names with the zone. Table-driven over questions.

#include "core/dname.h"
#include "core/dns.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "zones/zone_records.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace core = fastrbl::core;
namespace zones = fastrbl::zones;
using core::ResponseWriter;
using core::Section;

namespace {

core::Name name(const std::string& text) {
  auto r = core::Name::from_text(text);
  REQUIRE(r.is_ok());
  return r.value();
}

std::vector<std::uint8_t> query_for(const std::string& qname) {
  std::vector<std::uint8_t> p{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  const core::Name n = name(qname);
  p.insert(p.end(), n.data(), n.data() + n.size());
  p.insert(p.end(), {0, 1, 0, 1});
  return p;
}

zones::Zone make_zone() {
  zones::Zone z;
  z.name = name("bl.example.com");
  zones::SoaData soa;
  soa.mname = name("ns1.bl.example.com");
  soa.rname = name("hostmaster.example.com");
  soa.ttl = 3600;
  soa.serial = 42;
  soa.refresh = 600;
  soa.retry = 300;
  soa.expire = 86400;
  soa.minimum = 60;
  z.soa = soa;
  z.ns_ttl = 7200;
  z.ns = {name("ns1.bl.example.com"), name("ns2.example.net"), name("ns3.bl.example.com")};
  z.glue = {{0, {192, 0, 2, 1}, 600}, {2, {192, 0, 2, 3}, 600}, {2, {192, 0, 2, 4}, 600}};
  z.templates = std::make_shared<const zones::ZoneTemplates>(zones::build_zone_templates(z));
  return z;
}

struct Run {
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(4096, 0);
  std::vector<std::uint8_t> query;
  core::ParsedQuery q;
  ResponseWriter w{buf};
  zones::ApexPosition at;

  Run(const std::string& qname, const zones::Zone& zone, std::size_t limit) : query(query_for(qname)) {
    REQUIRE(core::parse_query(query, &q) == core::ParseResult::kOk);
    w.begin(query, q.question_end, limit);
    const std::size_t rel = q.label_count - zone.name.label_count();
    at.owner = static_cast<std::uint16_t>(core::kHeaderSize + q.label_off[rel]);
    if (rel > 0) at.above_apex = q.lname.data() + q.label_off[rel - 1];
  }
  std::vector<std::uint8_t> bytes() {
    const std::size_t n = w.finish();
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
  }
};

const std::vector<std::string> kQuestions = {
    "bl.example.com",
    "BL.Example.Com",
    "2.0.0.127.bl.example.com",
    "ns1.bl.example.com",
    "x.NS3.bl.example.com",
    "hostmaster.bl.example.com",
    "a.b.c.d.e.f.bl.example.com",
};

}  // namespace

TEST_CASE("zone records: SOA by template equals the generic SOA", "[zone_records]") {
  const zones::Zone z = make_zone();
  for (const std::string& qn : kQuestions) {
    for (const bool authority : {false, true}) {
      INFO(qn << (authority ? " authority" : " answer"));
      Run a(qn, z, 512), b(qn, z, 512);
      const Section s = authority ? Section::kAuthority : Section::kAnswer;
      a.w.set_section(s);
      b.w.set_section(s);
      REQUIRE(zones::add_soa(a.w, z, a.at, authority));
      REQUIRE(zones::write_soa(b.w, z, b.at.owner, authority));
      // And the NS set after it compresses against the SOA's names alike.
      a.w.set_section(Section::kAuthority);
      b.w.set_section(Section::kAuthority);
      REQUIRE(zones::add_ns_set(a.w, z, a.at, 1, true));
      REQUIRE(zones::write_ns_set(b.w, z, b.at.owner, 1, true));
      CHECK(a.bytes() == b.bytes());
    }
  }
}

TEST_CASE("zone records: NS sets by template equal the generic ones, every rotation", "[zone_records]") {
  const zones::Zone z = make_zone();
  for (const std::string& qn : kQuestions) {
    for (std::uint32_t first : {0u, 1u, 2u, 3u, 0xffffffffu}) {
      for (const bool glue : {false, true}) {
        for (const Section s : {Section::kAnswer, Section::kAuthority}) {
          if (glue && s == Section::kAnswer) continue;
          INFO(qn << " first " << first << " glue " << glue << " section " << static_cast<int>(s));
          Run a(qn, z, 512), b(qn, z, 512);
          a.w.set_section(s);
          b.w.set_section(s);
          REQUIRE(zones::add_ns_set(a.w, z, a.at, first, glue));
          REQUIRE(zones::write_ns_set(b.w, z, b.at.owner, first, glue));
          CHECK(a.w.section() == b.w.section());
          CHECK(a.bytes() == b.bytes());
        }
      }
    }
  }
}

TEST_CASE("zone records: a set that does not fit is not written, at the same limit", "[zone_records]") {
  const zones::Zone z = make_zone();
  Run probe("1.bl.example.com", z, 4096);
  probe.w.set_section(Section::kAuthority);
  REQUIRE(zones::write_ns_set(probe.w, z, probe.at.owner, 0, true));
  const std::size_t full = probe.w.size();
  for (const std::size_t limit : {full - 1, full, full + 1}) {
    Run a("1.bl.example.com", z, limit), b("1.bl.example.com", z, limit);
    a.w.set_section(Section::kAuthority);
    b.w.set_section(Section::kAuthority);
    const bool ra = zones::add_ns_set(a.w, z, a.at, 0, true);
    const bool rb = zones::write_ns_set(b.w, z, b.at.owner, 0, true);
    CHECK(ra == rb);
    CHECK(ra == (limit >= full));
    CHECK(a.bytes() == b.bytes());
  }
}
