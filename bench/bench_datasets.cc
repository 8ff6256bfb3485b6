// Dataset lookups alone, for every dataset type, and the data-file parser.
//
// For each type a data file of FASTRBL_BENCH_ENTRIES entries (default 1,000,000; the
// `ip4set_10x` case has ten times as many) is generated into a temporary directory and
// loaded through loader::load_dataset(), as the server does. IPv4 and name entries come
// from a bijection of the entry index (an odd multiplier mod 2^32), so generation keeps
// nothing in memory, every entry is distinct, and index n + j is never listed. IPv6 entries
// come from splitmix64 of the index: a few /48s coincide at 1M entries (the loader drops
// them as duplicates, so `entries` reads slightly less), and the set-up check below keeps
// only misses that really miss.
//
// BM_NameHash/<bytes>: zones::name_hash() (the keyed hash of dnset/generic name indexes)
// of a name of that many bytes under the process key; bytes/s. Names of 17-32 bytes are
// what the benchmark's dnset queries hash (a name relative to the zone, then a suffix).
//
// BM_Lookup/<type>/<hit|miss>: Dataset::query() on a prepared QueryKey (the zone is found
// and the key prepared once, outside the loop, as answer() does per query), writing into an
// AnswerSink for qtype A (a hit adds its A record; that is part of a dataset lookup). Each
// iteration takes the next of 4096 distinct keys, each checked at set-up to be a hit or a
// miss as the case says. Must not allocate (require_no_allocs).
// Counters: entries (as the dataset counts them), mem_B/entry (Dataset::memory_bytes(),
// the dataset's own count of its heap), rss_B/entry (process RSS growth across the load,
// taken after malloc_trim(0) on both sides so that the loader's freed temporaries do not
// count; one dataset is held at a time), load_s, load_Mlines/s and load_MB/s (that one
// load).
// BM_Load/<type>: load_dataset() of the same file, repeated; lines/s (items), MB/s and
// allocs/line (heap allocations of the whole load per data line).

#include "bench/alloc_counter.h"
#include "bench/query_packet.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/status.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "loader/load.h"
#include "loader/options.h"
#include "zones/answer_sink.h"
#include "zones/dataset.h"
#include "zones/name_hash.h"
#include "zones/query_key.h"
#include "zones/snapshot.h"

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <memory>
#include <span>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

namespace core = fastrbl::core;
namespace zones = fastrbl::zones;
namespace loader = fastrbl::loader;
using fastrbl::bench::require_no_allocs;
using fastrbl::bench::thread_allocations;

constexpr std::size_t kRing = 4096;  // distinct keys cycled through per case
constexpr const char* kZone = "bl.example";

std::size_t g_entries = 1000000;
std::filesystem::path g_dir;

// Distinct 32-bit values for distinct indexes below 2^32 (odd multiplier: a bijection).
std::uint32_t bij32(std::uint64_t i) { return static_cast<std::uint32_t>(i * 2654435761u + 0x5bd1e995u); }

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string dotted(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string reversed4(std::uint32_t a) {
  return std::to_string(a & 255) + "." + std::to_string((a >> 8) & 255) + "." +
         std::to_string((a >> 16) & 255) + "." + std::to_string(a >> 24);
}

// The 32 nibble labels of an IPv6 address (high 64 bits `hi`, low `lo`), lowest first.
std::string reversed6(std::uint64_t hi, std::uint64_t lo) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int k = 0; k < 32; ++k) {
    const std::uint64_t word = k < 16 ? lo : hi;
    const int shift = 4 * (k % 16);
    s += kHex[(word >> shift) & 15];
    s += '.';
  }
  s.pop_back();
  return s;
}

std::string groups4(std::uint64_t hi) {
  std::array<char, 40> b{};
  std::snprintf(b.data(), b.size(), "%x:%x:%x:%x", static_cast<unsigned>(hi >> 48),
                static_cast<unsigned>((hi >> 32) & 0xffff), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff));
  return b.data();
}

std::string hex8(std::uint32_t v) {
  std::array<char, 16> b{};
  std::snprintf(b.data(), b.size(), "%08x", v);
  return b.data();
}

// IPv6 high 64 bits of entry i: a 2001::/16-like spread over the rest.
std::uint64_t ip6_hi(std::uint64_t i) {
  return (splitmix64(i) & 0x0000ffffffffffffull) | 0x2a01000000000000ull;
}

enum class Kind { kIp4set, kIp4set10x, kIp4tset, kIp4trie, kIp6tset, kIp6trie, kDnset, kGeneric, kCombined };

struct KindInfo {
  Kind kind;
  const char* name;  // benchmark name
  const char* type;  // dataset type
  std::size_t scale;
};

constexpr std::array<KindInfo, 9> kKinds{{
    {Kind::kIp4set, "ip4set", "ip4set", 1},
    {Kind::kIp4set10x, "ip4set_10x", "ip4set", 10},
    {Kind::kIp4tset, "ip4tset", "ip4tset", 1},
    {Kind::kIp4trie, "ip4trie", "ip4trie", 1},
    {Kind::kIp6tset, "ip6tset", "ip6tset", 1},
    {Kind::kIp6trie, "ip6trie", "ip6trie", 1},
    {Kind::kDnset, "dnset", "dnset", 1},
    {Kind::kGeneric, "generic", "generic", 1},
    {Kind::kCombined, "combined", "combined", 1},
}};

// The query name (relative to the zone) that asks for entry `i`; indexes >= the entry
// count name unlisted things.
std::string query_name(Kind k, std::uint64_t i) {
  switch (k) {
    case Kind::kIp4set:
    case Kind::kIp4set10x:
    case Kind::kIp4tset:
    case Kind::kIp4trie:
      return reversed4(bij32(i));
    case Kind::kIp6tset:
    case Kind::kIp6trie:
      return reversed6(ip6_hi(i), splitmix64(i ^ 0x5555) | 1);
    case Kind::kDnset:
      return (i % 8 == 7 ? "www.w" : "d") + hex8(bij32(i)) + ".example.com";
    case Kind::kGeneric:
      return "n" + hex8(bij32(i));
    case Kind::kCombined:
      return i % 2 == 0 ? reversed4(bij32(i)) + ".ip" : "d" + hex8(bij32(i)) + ".example.com.dn";
  }
  return {};
}

// Writes the data file of `k` with `n` entries.
void write_file(Kind k, std::size_t n, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary);
  out << "$SOA 3600 ns1.bl.example. hostmaster.bl.example. 0 600 300 86400 60\n"
         "$NS 3600 ns1.example.net\n"
         "$TTL 2100\n";
  switch (k) {
    case Kind::kIp4set:
    case Kind::kIp4set10x:
      out << ":127.0.0.2:Listed, see https://bl.example/lookup?ip=$\n";
      for (std::size_t i = 0; i < n; ++i) {
        out << dotted(bij32(i));
        if (i % 16 == 0) out << " :127.0.0.4:Spam source $, ticket " << i;
        out << '\n';
      }
      break;
    case Kind::kIp4tset:
      out << ":127.0.0.2:Listed $\n";
      for (std::size_t i = 0; i < n; ++i) out << dotted(bij32(i)) << '\n';
      break;
    case Kind::kIp4trie:  // 3 in 4 are /32, 1 in 4 a /24 (masked); some values
      out << ":127.0.0.2:Listed $\n";
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t a = bij32(i);
        if (i % 4 == 3)
          out << dotted(a & 0xffffff00u) << "/24";
        else
          out << dotted(a);
        if (i % 16 == 0) out << " :127.0.0.4:Range $";
        out << '\n';
      }
      break;
    case Kind::kIp6tset:  // /64 listings
      out << ":127.0.0.2:Listed $\n";
      for (std::size_t i = 0; i < n; ++i) out << groups4(ip6_hi(i)) << '\n';
      break;
    case Kind::kIp6trie:  // /64, 1 in 4 a /48
      out << ":127.0.0.2:Listed $\n";
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t hi = ip6_hi(i);
        if (i % 4 == 3)
          out << groups4(hi & ~0xffffull) << "::/48";
        else
          out << groups4(hi) << "::/64";
        if (i % 16 == 0) out << " :127.0.0.4:Range $";
        out << '\n';
      }
      break;
    case Kind::kDnset:  // 1 in 8 a wildcard
      out << ":127.0.0.2:Listed $\n";
      for (std::size_t i = 0; i < n; ++i) {
        if (i % 8 == 7)
          out << "*.w" << hex8(bij32(i)) << ".example.com\n";
        else
          out << "d" << hex8(bij32(i)) << ".example.com\n";
      }
      break;
    case Kind::kGeneric:
      for (std::size_t i = 0; i < n; ++i) {
        out << "n" << hex8(bij32(i)) << " A 127.0.0." << (2 + i % 8) << '\n';
        if (i % 4 == 0) out << "n" << hex8(bij32(i)) << " TXT listed since " << i << '\n';
      }
      break;
    case Kind::kCombined:  // even entries in an ip4set, odd ones in a dnset
      out << "$DATASET ip4set:ip ip\n:127.0.0.2:Listed $\n";
      for (std::size_t i = 0; i < n; i += 2) out << dotted(bij32(i)) << '\n';
      out << "$DATASET dnset:dn dn\n:127.0.0.3:Listed $\n";
      for (std::size_t i = 1; i < n; i += 2) out << "d" << hex8(bij32(i)) << ".example.com\n";
      break;
  }
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

using fastrbl::bench::make_query;

// One generated, loaded dataset; only one is held at a time.
struct Loaded {
  Kind kind{};
  std::filesystem::path file;
  std::size_t n = 0;  // entries generated
  std::size_t lines = 0;
  std::uintmax_t file_bytes = 0;
  std::shared_ptr<const zones::Dataset> dataset;
  std::shared_ptr<const zones::Snapshot> snapshot;
  double load_seconds = 0;
  std::size_t rss_growth = 0;
};

std::unique_ptr<Loaded> g_loaded;

const KindInfo& info(Kind k) {
  for (const auto& ki : kKinds)
    if (ki.kind == k) return ki;
  std::abort();
}

core::Result<loader::LoadedDataset> load_file(const KindInfo& ki, const std::filesystem::path& file) {
  return loader::load_dataset(ki.type, file.string(), {file.string()}, loader::LoadOptions{});
}

const Loaded* get(Kind k, std::string* error) {
  if (g_loaded && g_loaded->kind == k) return g_loaded.get();
  g_loaded.reset();
  const KindInfo& ki = info(k);
  auto l = std::make_unique<Loaded>();
  l->kind = k;
  l->n = g_entries * ki.scale;
  l->file = g_dir / ki.name;
  if (!std::filesystem::exists(l->file)) write_file(k, l->n, l->file);
  {
    std::ifstream in(l->file, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) ++l->lines;
  }
  l->file_bytes = std::filesystem::file_size(l->file);
  malloc_trim(0);
  const std::size_t rss0 = rss_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = load_file(ki, l->file);
  l->load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.is_ok()) {
    *error = std::string(r.status().message());
    return nullptr;
  }
  l->dataset = std::move(r).value().dataset;
  malloc_trim(0);
  const std::size_t rss1 = rss_bytes();
  l->rss_growth = rss1 > rss0 ? rss1 - rss0 : 0;
  auto spec = loader::parse_zone_spec(std::string(kZone) + ":" + ki.type + ":" + l->file.string());
  if (!spec.is_ok()) {
    *error = std::string(spec.status().message());
    return nullptr;
  }
  l->snapshot = loader::build_snapshot({spec.value()}, {l->dataset}, loader::LoadOptions{});
  g_loaded = std::move(l);
  return g_loaded.get();
}

// A query ready for Dataset::query(): the key points into `parsed`.
struct Prepared {
  core::ParsedQuery parsed;
  zones::QueryKey key;
};

void BM_Lookup(benchmark::State& state, Kind k, bool hit) {
  std::string error;
  const Loaded* l = get(k, &error);
  if (l == nullptr) {
    state.SkipWithError(("load failed: " + error).c_str());
    return;
  }
  const zones::Dataset& ds = *l->dataset;
  const zones::Zone& zone = l->snapshot->zones().front();

  std::vector<std::uint8_t> out(4096);
  core::ResponseWriter w(out);
  std::vector<std::unique_ptr<Prepared>> keys;
  std::vector<std::uint8_t> first_query;
  // Candidates: hits are entry indexes in [0, n) in a scrambled order, misses indexes
  // from n on; each is kept only if the dataset answers as the case says (an ip4trie /24
  // may cover a "miss" address, a later duplicate may shadow a "hit").
  const std::uint64_t tries = kRing * 8;
  for (std::uint64_t j = 0; j < tries && keys.size() < kRing; ++j) {
    const std::uint64_t i = hit ? splitmix64(j) % l->n : l->n + j;
    const auto q = make_query(query_name(k, i) + "." + kZone, core::rrtype::kA);
    auto p = std::make_unique<Prepared>();
    if (core::parse_query(q, &p->parsed) != core::ParseResult::kOk) continue;
    std::size_t index = 0;
    if (l->snapshot->find_zone(p->parsed, &index) == nullptr) continue;
    zones::prepare_query_key(p->parsed, zone, &p->key);
    if (first_query.empty()) first_query = q;
    w.begin(q, p->parsed.question_end, out.size());
    zones::AnswerSink sink(w, core::rrtype::kA);
    const bool found = ds.query(p->key, sink);
    if (found != hit || (hit && w.count(core::Section::kAnswer) == 0)) continue;
    keys.push_back(std::move(p));
  }
  if (keys.size() < kRing / 2) {
    state.SkipWithError("too few keys answer as the case says");
    return;
  }
  w.begin(first_query, keys.front()->parsed.question_end, out.size());
  const core::ResponseWriter::Mark mark = w.mark();

  std::size_t i = 0;
  std::size_t found = 0;
  const std::uint64_t start = thread_allocations();
  for (auto _ : state) {
    const zones::QueryKey& key = keys[i]->key;
    if (++i == keys.size()) i = 0;
    w.rollback(mark);
    zones::AnswerSink sink(w, core::rrtype::kA);
    if (ds.query(key, sink)) ++found;
    benchmark::ClobberMemory();
  }
  require_no_allocs(state, start);
  benchmark::DoNotOptimize(found);
  const auto entries = static_cast<double>(ds.entries());
  state.counters["entries"] = entries;
  state.counters["mem_B/entry"] = static_cast<double>(ds.memory_bytes()) / entries;
  state.counters["rss_B/entry"] = static_cast<double>(l->rss_growth) / entries;
  state.counters["load_s"] = l->load_seconds;
  state.counters["load_Mlines/s"] = static_cast<double>(l->lines) / l->load_seconds / 1e6;
  state.counters["load_MB/s"] = static_cast<double>(l->file_bytes) / l->load_seconds / 1e6;
}

void BM_Load(benchmark::State& state, Kind k) {
  std::string error;
  const Loaded* l = get(k, &error);
  if (l == nullptr) {
    state.SkipWithError(("load failed: " + error).c_str());
    return;
  }
  const KindInfo& ki = info(k);
  const std::uint64_t start = fastrbl::bench::thread_allocations();
  for (auto _ : state) {
    auto r = load_file(ki, l->file);
    if (!r.is_ok()) {
      state.SkipWithError("load failed");
      return;
    }
    benchmark::DoNotOptimize(r.value().dataset.get());
  }
  const std::uint64_t allocs = fastrbl::bench::thread_allocations() - start;
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(l->lines));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(l->file_bytes));
  // Heap allocations (malloc and new, the whole load) per data line.
  state.counters["allocs/line"] = static_cast<double>(allocs) / static_cast<double>(state.iterations()) /
                                  static_cast<double>(l->lines == 0 ? 1 : l->lines);
}

void BM_NameHash(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> name(n + 64);
  for (std::size_t i = 0; i < name.size(); ++i) name[i] = static_cast<std::uint8_t>('a' + i % 26);
  std::size_t off = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fastrbl::zones::name_hash(std::span<const std::uint8_t>(name.data() + off, n)));
    off = (off + 1) & 63;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void register_all() {
  benchmark::RegisterBenchmark("BM_NameHash", BM_NameHash)->Arg(8)->Arg(17)->Arg(24)->Arg(32)->Arg(64);
  for (const auto& ki : kKinds) {
    const std::string n = ki.name;
    benchmark::RegisterBenchmark(("BM_Lookup/" + n + "/hit").c_str(), BM_Lookup, ki.kind, true);
    benchmark::RegisterBenchmark(("BM_Lookup/" + n + "/miss").c_str(), BM_Lookup, ki.kind, false);
    // Loading ten times the data repeatedly takes long and says nothing new.
    if (ki.scale == 1)
      benchmark::RegisterBenchmark(("BM_Load/" + n).c_str(), BM_Load, ki.kind)->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (const char* e = std::getenv("FASTRBL_BENCH_ENTRIES")) g_entries = std::strtoull(e, nullptr, 10);
  if (g_entries < 16) g_entries = 16;
  core::set_log_info(false);  // the per-dataset info lines of every load
  g_dir = std::filesystem::temp_directory_path() / ("fastrbl-bench-datasets-" + std::to_string(getpid()));
  std::filesystem::create_directories(g_dir);
  benchmark::AddCustomContext("entries", std::to_string(g_entries));
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_loaded.reset();
  std::filesystem::remove_all(g_dir);
  return fastrbl::bench::allocation_failure() ? 1 : 0;
}
