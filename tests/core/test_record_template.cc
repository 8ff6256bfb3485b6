// Tests for core::RecordTemplate and ResponseWriter::add_template: a template captured for
// the zone apex, copied for a real question, must give the generic writer's bytes, leave
// the same compression targets behind, and refuse (kNotApplicable) where it cannot.
// Table-driven: each row is a zone, a question and the records written.

#include "core/dname.h"
#include "core/dns.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "packet_builder.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace core = fastrbl::core;
using core::ResponseWriter;
using core::Section;
using fastrbl::test::make_query;

namespace {

core::Name name(const std::string& text) {
  auto r = core::Name::from_text(text);
  REQUIRE(r.is_ok());
  return r.value();
}

enum class Kind { kSoa, kNs, kNsGlue };

struct Row {
  const char* what;
  const char* zone;
  const char* qname;
  Kind kind;
  std::vector<const char*> names;  // SOA: mname, rname; NS: the NS names
  Section section = Section::kAuthority;
  bool applies = true;  // false: add_template must say kNotApplicable
};

// Writes the row's records with the generic writer, the apex at `owner`.
bool write_generic(ResponseWriter& w, const Row& row, const std::vector<core::Name>& names,
                   std::uint16_t owner) {
  if (row.kind == Kind::kSoa) {
    core::SoaFields f;
    f.mname = names[0].data();
    f.rname = names[1].data();
    f.serial = 7;
    f.refresh = 600;
    f.retry = 300;
    f.expire = 86400;
    f.minimum = 60;
    return w.add_soa(owner, 3600, f);
  }
  for (const core::Name& n : names)
    if (!w.add_ns(owner, 3600, n.data())) return false;
  if (row.kind == Kind::kNsGlue) {
    w.set_section(Section::kAdditional);
    const std::uint8_t a[4] = {192, 0, 2, 1};
    for (const core::Name& n : names)
      if (!w.add_a_named(n.data(), 600, a)) return false;
  }
  return true;
}

struct Question {
  std::vector<std::uint8_t> packet;
  core::ParsedQuery q;
  std::uint16_t apex = 0;
  const std::uint8_t* above = nullptr;
};

void parse(const char* qname, const core::Name& zone, Question* out) {
  out->packet = make_query(qname, core::rrtype::kA);
  REQUIRE(core::parse_query(out->packet, &out->q) == core::ParseResult::kOk);
  const std::size_t rel = out->q.label_count - zone.label_count();
  out->apex = static_cast<std::uint16_t>(core::kHeaderSize + out->q.label_off[rel]);
  out->above = rel > 0 ? out->q.lname.data() + out->q.label_off[rel - 1] : nullptr;
}

// After the records, more names that compress against them: shows the compression targets
// the records left behind.
void write_after(ResponseWriter& w, const std::vector<core::Name>& names) {
  w.set_section(Section::kAdditional);
  const std::uint8_t a[4] = {198, 51, 100, 7};
  for (const core::Name& n : names) REQUIRE(w.add_a_named(n.data(), 5, a));
}

const std::vector<Row> kRows = {
    {"SOA outside the zone, NXDOMAIN",
     "bl.example",
     "2.0.0.127.bl.example",
     Kind::kSoa,
     {"ns1.example.net", "hostmaster.example.net"}},
    {"SOA in the zone's parent",
     "bl.example.com",
     "1.2.3.4.Bl.Example.COM",
     Kind::kSoa,
     {"ns.example.com", "root.example.com"}},
    {"SOA at the apex, in ANSWER",
     "bl.example.com",
     "BL.example.com",
     Kind::kSoa,
     {"ns.bl.example.com", "hostmaster.bl.example.com"},
     Section::kAnswer},
    {"SOA names below the apex, other labels",
     "bl.example",
     "x.y.bl.example",
     Kind::kSoa,
     {"ns1.bl.example", "hm.ns1.bl.example"}},
    {"SOA name below the apex shared with the question",
     "bl.example",
     "2.ns1.bl.example",
     Kind::kSoa,
     {"ns1.bl.example", "hm.example"},
     Section::kAuthority,
     false},
    {"SOA name below the apex shared, other case",
     "bl.example",
     "2.NS1.bl.example",
     Kind::kSoa,
     {"ns1.bl.example", "hm.example"},
     Section::kAuthority,
     false},
    {"SOA of the root zone", ".", "a.b.c", Kind::kSoa, {"ns.root", "hm.ns.root"}},
    {"SOA of the root names", "bl.example", "1.bl.example", Kind::kSoa, {".", "."}},
    {"NS set outside, repeated suffixes",
     "dbl.example",
     "www.foo.example.org.dbl.example",
     Kind::kNs,
     {"ns1.example.net", "ns2.example.net", "a.ns.example.org"}},
    {"NS set in the zone with glue",
     "bl.example.com",
     "4.3.2.1.bl.example.com",
     Kind::kNsGlue,
     {"ns1.bl.example.com", "ns2.bl.example.com", "ns.other.org"}},
    {"NS set with glue, answer at the apex",
     "bl.example.com",
     "bl.example.com",
     Kind::kNsGlue,
     {"ns1.bl.example.com", "ns2.example.com"}},
    {"NS name shared with the question",
     "bl.example.com",
     "ns1.bl.example.com",
     Kind::kNsGlue,
     {"ns1.bl.example.com", "ns2.bl.example.com"},
     Section::kAuthority,
     false},
    {"NS names below a shared label elsewhere",
     "bl.example.com",
     "a.ns2.b.bl.example.com",
     Kind::kNs,
     {"ns1.a.bl.example.com"}},
};

// A row's zone, its names, and its template captured as the generic writer writes it for
// a question that is the apex.
struct Captured {
  core::Name zone;
  std::vector<core::Name> names;
  std::optional<core::RecordTemplate> t;
};

Captured capture_row(const Row& row) {
  Captured c{name(row.zone), {}, std::nullopt};
  for (const char* n : row.names) c.names.push_back(name(n));
  c.t = core::RecordTemplate::capture(c.zone, row.section, [&](ResponseWriter& w) {
    return write_generic(w, row, c.names, core::kHeaderSize);
  });
  return c;
}

}  // namespace

TEST_CASE("RecordTemplate: the template writes the generic writer's bytes", "[wire_writer][template]") {
  for (const Row& row : kRows) {
    INFO(row.what);
    const auto [zone, names, t] = capture_row(row);
    REQUIRE(t.has_value());

    Question qg, qt;
    parse(row.qname, zone, &qg);
    parse(row.qname, zone, &qt);
    std::vector<std::uint8_t> bg(4096, 0xaa), bt(4096, 0x55);
    ResponseWriter wg(bg), wt(bt);
    wg.begin(qg.packet, qg.q.question_end, 4096);
    wt.begin(qt.packet, qt.q.question_end, 4096);
    wg.set_section(row.section);
    wt.set_section(row.section);
    REQUIRE(write_generic(wg, row, names, qg.apex));
    const auto r = wt.add_template(*t, qt.apex, qt.above);
    if (!row.applies) {
      CHECK(r == ResponseWriter::TemplateResult::kNotApplicable);
      CHECK(wt.size() == qt.q.question_end);
      continue;
    }
    REQUIRE(r == ResponseWriter::TemplateResult::kWritten);
    CHECK(wt.size() == wg.size());
    CHECK(wt.section() == wg.section());
    CHECK(wt.last_ttl_offset() == wg.last_ttl_offset());
    for (const Section s : {Section::kAnswer, Section::kAuthority, Section::kAdditional})
      CHECK(wt.count(s) == wg.count(s));
    write_after(wg, names);
    write_after(wt, names);
    const std::size_t ng = wg.finish(), nt = wt.finish();
    CHECK(std::vector<std::uint8_t>(bt.begin(), bt.begin() + static_cast<std::ptrdiff_t>(nt)) ==
          std::vector<std::uint8_t>(bg.begin(), bg.begin() + static_cast<std::ptrdiff_t>(ng)));
  }
}

TEST_CASE("RecordTemplate: no room means nothing written, at the generic path's limit",
          "[wire_writer][template]") {
  const Row& row = kRows[0];
  const core::Name zone = name(row.zone);
  std::vector<core::Name> names{name(row.names[0]), name(row.names[1])};
  const auto t = core::RecordTemplate::capture(
      zone, row.section, [&](ResponseWriter& w) { return write_generic(w, row, names, core::kHeaderSize); });
  REQUIRE(t.has_value());
  Question q;
  parse(row.qname, zone, &q);
  const std::size_t exact = q.q.question_end + t->size();
  for (const std::size_t limit : {exact - 1, exact}) {
    std::vector<std::uint8_t> bg(4096), bt(4096);
    ResponseWriter wg(bg), wt(bt);
    wg.begin(q.packet, q.q.question_end, limit);
    wt.begin(q.packet, q.q.question_end, limit);
    wg.set_section(row.section);
    wt.set_section(row.section);
    const bool fits = write_generic(wg, row, names, q.apex);
    CHECK(fits == (limit == exact));
    const auto r = wt.add_template(*t, q.apex, q.above);
    CHECK(r == (fits ? ResponseWriter::TemplateResult::kWritten : ResponseWriter::TemplateResult::kNoRoom));
    CHECK(wt.size() == wg.size());
  }
}

TEST_CASE("RecordTemplate: not applicable after other names or in another section",
          "[wire_writer][template]") {
  const Row& row = kRows[0];
  const core::Name zone = name(row.zone);
  std::vector<core::Name> names{name(row.names[0]), name(row.names[1])};
  const auto t = core::RecordTemplate::capture(
      zone, row.section, [&](ResponseWriter& w) { return write_generic(w, row, names, core::kHeaderSize); });
  REQUIRE(t.has_value());
  Question q;
  parse(row.qname, zone, &q);
  std::vector<std::uint8_t> buf(4096);
  ResponseWriter w(buf);
  w.begin(q.packet, q.q.question_end, 4096);
  w.set_section(Section::kAnswer);  // captured for AUTHORITY
  CHECK(w.add_template(*t, q.apex, q.above) == ResponseWriter::TemplateResult::kNotApplicable);
  w.set_section(Section::kAuthority);
  const core::Name other = name("ns9.example.net");
  REQUIRE(w.add_ns(q.apex, 60, other.data()));  // registers compression targets
  CHECK(w.add_template(*t, q.apex, q.above) == ResponseWriter::TemplateResult::kNotApplicable);
}

namespace {

// A question name of `zone` whose apex is at offset 12 + shift (shift >= 2): labels of up
// to 63 bytes, the last one padded to hit the shift exactly.
std::string name_with_shift(std::size_t shift, const char* zone) {
  std::string out;
  while (shift > 0) {
    std::size_t len = shift - 1 > 63 ? 63 : shift - 1;
    if (shift - (len + 1) == 1) --len;  // never leave a remainder of 1 (an empty label)
    out += std::string(len, static_cast<char>('a' + shift % 26)) + ".";
    shift -= len + 1;
  }
  return out + zone;
}

// The bytes add_template() writes after the question (the reference for the writerless copies).
std::vector<std::uint8_t> by_add_template(const core::RecordTemplate& t, const Question& q, Section section,
                                          std::size_t limit) {
  std::vector<std::uint8_t> b(4096, 0x33);
  ResponseWriter w(b);
  w.begin(q.packet, q.q.question_end, limit);
  w.set_section(section);
  if (w.add_template(t, q.apex, q.above) != ResponseWriter::TemplateResult::kWritten) return {};
  return {b.begin(), b.begin() + static_cast<std::ptrdiff_t>(w.size())};
}

}  // namespace

TEST_CASE("RecordTemplate: write_fresh and write_after_question write add_template's bytes",
          "[wire_writer][template]") {
  for (const Row& row : kRows) {
    INFO(row.what);
    auto [zone, names, t] = capture_row(row);
    REQUIRE(t.has_value());
    Question q;
    parse(row.qname, zone, &q);
    const std::size_t qend = q.q.question_end;
    const std::vector<std::uint8_t> want = by_add_template(*t, q, row.section, 4096);
    CHECK(want.empty() == !row.applies);

    std::vector<std::uint8_t> out(4096, 0x44);
    std::memcpy(out.data(), q.packet.data(), qend);
    std::memset(&out[6], 0, 6);  // as begin() leaves the counts
    std::size_t end = t->write_fresh(out, qend, 4096, q.apex, q.above);
    CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(end)) == want);

    CHECK(t->write_after_question(out, 4096, q.apex, q.above) == 0);  // no table yet
    t->build_shift_table();
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(qend), out.end(), 0x44);
    end = t->write_after_question(out, 4096, q.apex, q.above);
    CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(end)) == want);

    // After two A records (which register no compression target), as in a positive answer.
    if (!row.applies) continue;
    std::vector<std::uint8_t> bg(4096, 0x55), bt(4096, 0x66);
    ResponseWriter wg(bg), wt(bt);
    wg.begin(q.packet, qend, 4096);
    wt.begin(q.packet, qend, 4096);
    const std::uint8_t a1[4] = {127, 0, 0, 2}, a2[4] = {127, 0, 0, 3};
    for (ResponseWriter* w : {&wg, &wt}) {
      REQUIRE(w->add_a(core::kHeaderSize, 60, a1));
      REQUIRE(w->add_a(core::kHeaderSize, 60, a2));
      w->set_section(row.section);
    }
    REQUIRE(write_generic(wg, row, names, q.apex));
    end = t->write_fresh(bt, wt.size(), 4096, q.apex, q.above);
    CHECK(end == wg.size());
    CHECK(std::vector<std::uint8_t>(bt.begin(), bt.begin() + static_cast<std::ptrdiff_t>(end)) ==
          std::vector<std::uint8_t>(bg.begin(), bg.begin() + static_cast<std::ptrdiff_t>(wg.size())));
  }
}

TEST_CASE("RecordTemplate: write_after_question for every apex offset, and at the size limit",
          "[wire_writer][template]") {
  std::size_t copies = 0;  // shifts checked through shift_copy()
  for (const std::size_t row_index : {std::size_t{0}, std::size_t{3}, std::size_t{6}}) {  // SOA rows
    const Row& row = kRows[row_index];
    INFO(row.what);
    auto [zone, names, t] = capture_row(row);
    REQUIRE(t.has_value());
    t->build_shift_table();
    const std::size_t max_shift = core::kMaxNameLen - zone.size();
    for (std::size_t shift = 2; shift <= max_shift; ++shift) {
      const std::string qname = name_with_shift(shift, row.zone);
      INFO(qname);
      Question q;
      parse(qname.c_str(), zone, &q);
      REQUIRE(q.apex == core::kHeaderSize + shift);
      const std::size_t qend = q.q.question_end;
      const std::vector<std::uint8_t> want = by_add_template(*t, q, row.section, 4096);
      REQUIRE(!want.empty());
      const std::size_t exact = want.size();
      // The table as the fast path reads it (shift_copy()): the same records, ready.
      const core::RecordTemplate::ShiftCopy c = t->shift_copy();
      if (c.table != nullptr) {
        ++copies;
        CHECK(c.stride <= 64);
        REQUIRE(shift < c.shifts);
        CHECK(qend + c.size == exact);
        CHECK(std::vector<std::uint8_t>(c.table + shift * c.stride, c.table + shift * c.stride + c.size) ==
              std::vector<std::uint8_t>(want.begin() + static_cast<std::ptrdiff_t>(qend), want.end()));
      }
      for (const std::size_t limit : {exact - 1, exact, std::size_t{4096}}) {
        // An output buffer that ends right after the limit: the copy may not run past it.
        std::vector<std::uint8_t> out(limit, 0x44);
        std::memcpy(out.data(), q.packet.data(), qend);
        std::memset(&out[6], 0, 6);
        const std::size_t end = t->write_after_question(out, limit, q.apex, q.above);
        if (limit < exact) {
          CHECK(end == 0);
        } else {
          CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(end)) ==
                want);
        }
      }
    }
  }
  CHECK(copies > 200);  // the usual SOAs are one 64-byte copy
}
