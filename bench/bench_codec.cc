// Micro-benchmarks of the hot-path codec (core/wire_reader, core/wire_writer), with ldns
// doing the same jobs alongside: the reason we hand-write this one piece (DESIGN.md,
// Dependencies). Reports ns/op and allocs/op.

#include "bench/alloc_counter.h"
#include "bench/query_packet.h"
#include "core/dname.h"
#include "core/dns.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

// clang-format off
// ldns/common.h defines `bool`, `true` and `false` as macros unless stdbool.h was seen first.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)
#include <ldns/ldns.h>
// clang-format on

namespace {

namespace core = fastrbl::core;
using fastrbl::bench::report_allocs;
using fastrbl::bench::require_no_allocs;
using fastrbl::bench::thread_allocations;

using fastrbl::bench::make_query;

core::Name name(std::string_view text) {
  auto n = core::Name::from_text(text);
  if (!n.is_ok()) std::abort();
  return n.value();
}

constexpr std::string_view kQname = "2.0.0.127.zen.bl.example";
constexpr std::uint16_t kZoneOffset = 12 + 2 + 2 + 2 + 4;  // "zen.bl.example" in the question
constexpr std::string_view kTxt = "Listed by BL, see https://bl.example/query/ip/127.0.0.2";

void BM_ParseQuery(benchmark::State& state) {
  const auto query = make_query(kQname, core::rrtype::kA, state.range(0) != 0);
  core::ParsedQuery q;
  const std::uint64_t start = thread_allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(core::parse_query(query, &q));
    benchmark::DoNotOptimize(q);
  }
  require_no_allocs(state, start);
}
BENCHMARK(BM_ParseQuery)->ArgName("edns")->Arg(0)->Arg(1);

// A typical positive answer: A and TXT (merged as AnswerSink does), two NS in AUTHORITY,
// one glue A in ADDITIONAL; then the counts.
void BM_WriteAnswer(benchmark::State& state) {
  const auto query = make_query(kQname, core::rrtype::kANY, false);
  core::ParsedQuery q;
  if (core::parse_query(query, &q) != core::ParseResult::kOk) std::abort();
  const core::Name ns1 = name("ns1.bl.example");
  const core::Name ns2 = name("ns2.example.net");
  const std::array<std::uint8_t, 4> a{127, 0, 0, 2};
  const std::array<std::uint8_t, 4> glue{192, 0, 2, 1};
  std::array<std::uint8_t, 1 + kTxt.size()> txt_rdata{};
  txt_rdata[0] = static_cast<std::uint8_t>(kTxt.size());
  for (std::size_t i = 0; i < kTxt.size(); ++i) txt_rdata[1 + i] = static_cast<std::uint8_t>(kTxt[i]);
  const auto txt = std::span<const std::uint8_t>(txt_rdata).subspan(1);
  std::vector<std::uint8_t> out(core::kMaxEdnsPayload);

  const std::uint64_t start = thread_allocations();
  for (auto _ : state) {
    core::ResponseWriter w(out);
    w.begin(query, q.question_end, core::kMaxUdpPayload);
    w.header()[2] = core::kFlagQR | core::kFlagAA | core::kFlagRD;
    w.add_a(12, w.merge_answer_ttl(core::rrtype::kA, a, 2100).value_or(2100), a.data());
    w.add_txt(12, core::rrclass::kIN, w.merge_answer_ttl(core::rrtype::kTXT, txt_rdata, 2100).value_or(2100),
              txt);
    w.set_section(core::Section::kAuthority);
    w.add_ns(kZoneOffset, 3600, ns1.data());
    w.add_ns(kZoneOffset, 3600, ns2.data());
    w.set_section(core::Section::kAdditional);
    w.add_a_named(ns1.data(), 3600, glue.data());
    benchmark::DoNotOptimize(w.finish());
    benchmark::ClobberMemory();
  }
  require_no_allocs(state, start);
}
BENCHMARK(BM_WriteAnswer);

// --- The same with ldns -------------------------------------------------------------------

void BM_LdnsParseQuery(benchmark::State& state) {
  const auto query = make_query(kQname, core::rrtype::kA, state.range(0) != 0);
  const std::uint64_t start = thread_allocations();
  for (auto _ : state) {
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, query.data(), query.size()) != LDNS_STATUS_OK) std::abort();
    benchmark::DoNotOptimize(pkt);
    ldns_pkt_free(pkt);
  }
  report_allocs(state, start);  // ldns mallocs: counted (alloc_counter.h)
}
BENCHMARK(BM_LdnsParseQuery)->ArgName("edns")->Arg(0)->Arg(1);

ldns_rr* rr_from_text(const char* text) {
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, text, 0, nullptr, nullptr) != LDNS_STATUS_OK) std::abort();
  return rr;
}

void BM_LdnsWriteAnswer(benchmark::State& state) {
  // Records are made once; each iteration builds the packet from copies and renders it.
  ldns_rr* question = nullptr;
  if (ldns_rr_new_question_frm_str(&question, "2.0.0.127.zen.bl.example. IN ANY", nullptr, nullptr) !=
      LDNS_STATUS_OK)
    std::abort();
  ldns_rr* a = rr_from_text("2.0.0.127.zen.bl.example. 2100 IN A 127.0.0.2");
  ldns_rr* txt = rr_from_text(
      "2.0.0.127.zen.bl.example. 2100 IN TXT \"Listed by BL, see https://bl.example/query/ip/127.0.0.2\"");
  ldns_rr* ns1 = rr_from_text("zen.bl.example. 3600 IN NS ns1.bl.example.");
  ldns_rr* ns2 = rr_from_text("zen.bl.example. 3600 IN NS ns2.example.net.");
  ldns_rr* glue = rr_from_text("ns1.bl.example. 3600 IN A 192.0.2.1");
  const std::uint64_t start = fastrbl::bench::thread_allocations();
  for (auto _ : state) {
    ldns_pkt* pkt = ldns_pkt_new();
    ldns_pkt_set_id(pkt, 0x4a1d);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_aa(pkt, true);
    ldns_pkt_set_rd(pkt, true);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
    ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(a));
    ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(txt));
    ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, ldns_rr_clone(ns1));
    ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, ldns_rr_clone(ns2));
    ldns_pkt_push_rr(pkt, LDNS_SECTION_ADDITIONAL, ldns_rr_clone(glue));
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK) std::abort();
    benchmark::DoNotOptimize(wire);
    std::free(wire);
    ldns_pkt_free(pkt);
  }
  report_allocs(state, start);  // ldns mallocs: counted (alloc_counter.h)
  for (ldns_rr* rr : {question, a, txt, ns1, ns2, glue}) ldns_rr_free(rr);
}
BENCHMARK(BM_LdnsWriteAnswer);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return fastrbl::bench::allocation_failure() ? 1 : 0;
}
