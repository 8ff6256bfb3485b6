// End-to-end micro-benchmark of the query path: request bytes -> dnsd::answer() ->
// response bytes (parse, zone lookup, dataset lookup and values, TXT expansion, response
// building), on an ip4set of 1M random /32 entries (bl.example) and a dnset of 1M names
// (dbl.example) served together (FASTRBL_BENCH_ENTRIES overrides the count of each),
// loaded through the loader from generated data files, as the server does. Each iteration
// answers the next query from a ring of 4096 distinct names, so the index is not served
// from one hot cache line. Cases: BM_Answer/<hit|miss>_<A|TXT> and edns_hit_TXT on the
// ip4set, BM_Answer/dnset_<hit|miss>_<A|TXT> on the dnset. Reports ns/op and allocs/op; the
// query path must not allocate (STYLE.md 13).

#include "bench/alloc_counter.h"
#include "bench/query_packet.h"
#include "core/dns.h"
#include "core/status.h"
#include "dnsd/query.h"
#include "loader/load.h"
#include "loader/options.h"
#include "zones/snapshot.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unistd.h>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

namespace core = fastrbl::core;
namespace dnsd = fastrbl::dnsd;
using fastrbl::bench::require_no_allocs;
using fastrbl::bench::thread_allocations;

constexpr std::size_t kRing = 4096;  // distinct queries cycled through per case

struct Data {
  std::shared_ptr<const fastrbl::zones::Snapshot> snapshot;
  std::vector<std::string> ip4_listed;  // kRing query names of listed addresses
  std::vector<std::string> ip4_unlisted;
  std::vector<std::string> dn_listed;  // kRing query names of listed domains
  std::vector<std::string> dn_unlisted;
  std::size_t entries = 0;
  double load_seconds = 0;
};

Data* g_data = nullptr;

std::string dotted(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string reversed(std::uint32_t a) {
  return std::to_string(a & 255) + "." + std::to_string((a >> 8) & 255) + "." +
         std::to_string((a >> 16) & 255) + "." + std::to_string(a >> 24);
}

// The i-th domain of the dnset: distinct for distinct i (an odd multiplier is a bijection
// mod 2^32), so index n and above is never listed.
std::string domain(std::uint32_t i) {
  return "d" + std::to_string(i * 2654435761u) + ".example" + std::to_string(i % 97) + ".com";
}

// The lines a data file of `zone` starts with: SOA, NS, TTL and the default value.
void write_header(std::ofstream& out, std::string_view zone, std::string_view default_value) {
  out << "$SOA 3600 ns1." << zone << ". hostmaster." << zone << ". 0 600 300 86400 60\n"
      << "$NS 3600 ns1." << zone << " ns2.example.net\n"
      << "$TTL 2100\n"
      << default_value << '\n';
}

// Writes the data files (SOA, NS, a default value with a TXT template, and `n` random
// addresses or `n` domains, one in 16 with its own value) and loads them as one snapshot.
Data build(std::size_t n) {
  Data d;
  d.entries = n;
  std::mt19937_64 rng(20240601);
  std::unordered_set<std::uint32_t> set;
  set.reserve(n * 2);
  std::vector<std::uint32_t> addrs;
  addrs.reserve(n);
  while (addrs.size() < n) {
    const auto a = static_cast<std::uint32_t>(rng());
    if ((a >> 24) == 0 || (a >> 24) >= 224) continue;
    if (set.insert(a).second) addrs.push_back(a);
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fastrbl-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "bl";
  {
    std::ofstream out(file, std::ios::binary);
    write_header(out, "bl.example", ":127.0.0.2:Listed, see https://bl.example/lookup?ip=$");
    for (std::size_t i = 0; i < addrs.size(); ++i) {
      out << dotted(addrs[i]);
      if (i % 16 == 0) out << " :127.0.0.4:Spam source $, ticket " << i;
      out << '\n';
    }
  }
  const std::filesystem::path dn_file = dir / "dbl";
  {
    std::ofstream out(dn_file, std::ios::binary);
    write_header(out, "dbl.example", ":127.0.1.2:Domain listed, see https://dbl.example/lookup?d=$");
    for (std::uint32_t i = 0; i < n; ++i) {
      out << domain(i);
      if (i % 16 == 0) out << " :127.0.1.4:Spam domain $, ticket " << i;
      out << '\n';
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto snap = fastrbl::loader::load_snapshot(
      {"bl.example:ip4set:" + file.string(), "dbl.example:dnset:" + dn_file.string()},
      fastrbl::loader::LoadOptions{});
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  if (!snap.is_ok()) {
    std::fprintf(stderr, "bench_query: load failed: %s\n", std::string(snap.status().message()).c_str());
    std::exit(1);
  }
  d.snapshot = std::move(snap).value();

  std::shuffle(addrs.begin(), addrs.end(), rng);
  for (std::size_t i = 0; i < std::min(kRing, addrs.size()); ++i)
    d.ip4_listed.push_back(reversed(addrs[i]) + ".bl.example");
  while (d.ip4_unlisted.size() < kRing) {
    const auto a = static_cast<std::uint32_t>(rng());
    if ((a >> 24) != 0 && (a >> 24) < 224 && set.count(a) == 0)
      d.ip4_unlisted.push_back(reversed(a) + ".bl.example");
  }
  for (std::size_t i = 0; i < kRing; ++i) {
    d.dn_listed.push_back(domain(static_cast<std::uint32_t>(rng() % n)) + ".dbl.example");
    d.dn_unlisted.push_back(domain(static_cast<std::uint32_t>(n + i)) + ".dbl.example");
  }
  return d;
}

using fastrbl::bench::make_query;

enum class Case { kHitA, kHitTxt, kMissA, kMissTxt, kEdnsHitTxt };
enum class Set { kIp4, kDn };

void BM_Answer(benchmark::State& state, Set set, Case c) {
  const Data& d = *g_data;
  const bool hit = c == Case::kHitA || c == Case::kHitTxt || c == Case::kEdnsHitTxt;
  const std::uint16_t qtype = (c == Case::kHitA || c == Case::kMissA) ? core::rrtype::kA : core::rrtype::kTXT;
  const auto& names =
      set == Set::kIp4 ? (hit ? d.ip4_listed : d.ip4_unlisted) : (hit ? d.dn_listed : d.dn_unlisted);
  std::vector<std::vector<std::uint8_t>> queries;
  for (std::size_t i = 0; i < names.size(); ++i)
    queries.push_back(make_query(names[i], qtype, c == Case::kEdnsHitTxt, static_cast<std::uint16_t>(i)));
  std::vector<std::uint8_t> out(dnsd::kUdpOutSize);
  const dnsd::AnswerConfig config;
  dnsd::WorkerState ws;
  dnsd::AnswerInfo info;

  // Sanity: the case answers what its name says.
  const std::size_t n0 =
      dnsd::answer(*d.snapshot, config, queries[0], out, dnsd::Transport::kUdp, nullptr, ws, &info);
  const bool ok = n0 > 0 && info.rcode == (hit ? core::Rcode::kNoError : core::Rcode::kNxDomain) &&
                  (hit ? info.ancount >= 1 : info.ancount == 0);
  if (!ok) {
    state.SkipWithError("unexpected answer");
    return;
  }

  std::size_t i = 0;
  std::size_t bytes = 0;
  const std::uint64_t start = thread_allocations();
  for (auto _ : state) {
    const auto& q = queries[i];
    if (++i == queries.size()) i = 0;
    const std::size_t n =
        dnsd::answer(*d.snapshot, config, q, out, dnsd::Transport::kUdp, nullptr, ws, &info);
    bytes += n;
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  require_no_allocs(state, start);
  state.counters["resp_bytes"] =
      benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgIterations);
}

BENCHMARK_CAPTURE(BM_Answer, hit_A, Set::kIp4, Case::kHitA);
BENCHMARK_CAPTURE(BM_Answer, hit_TXT, Set::kIp4, Case::kHitTxt);
BENCHMARK_CAPTURE(BM_Answer, miss_A, Set::kIp4, Case::kMissA);
BENCHMARK_CAPTURE(BM_Answer, miss_TXT, Set::kIp4, Case::kMissTxt);
BENCHMARK_CAPTURE(BM_Answer, edns_hit_TXT, Set::kIp4, Case::kEdnsHitTxt);
BENCHMARK_CAPTURE(BM_Answer, dnset_hit_A, Set::kDn, Case::kHitA);
BENCHMARK_CAPTURE(BM_Answer, dnset_hit_TXT, Set::kDn, Case::kHitTxt);
BENCHMARK_CAPTURE(BM_Answer, dnset_miss_A, Set::kDn, Case::kMissA);
BENCHMARK_CAPTURE(BM_Answer, dnset_miss_TXT, Set::kDn, Case::kMissTxt);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::size_t entries = 1000000;
  if (const char* e = std::getenv("FASTRBL_BENCH_ENTRIES")) entries = std::strtoull(e, nullptr, 10);
  Data data = build(entries);
  g_data = &data;
  benchmark::AddCustomContext("ip4set_entries", std::to_string(entries));
  benchmark::AddCustomContext("dnset_entries", std::to_string(entries));
  std::array<char, 32> load{};
  std::snprintf(load.data(), load.size(), "%.2f s", data.load_seconds);
  benchmark::AddCustomContext("load_time", load.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return fastrbl::bench::allocation_failure() ? 1 : 0;
}
