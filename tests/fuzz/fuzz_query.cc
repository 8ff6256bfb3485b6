// libFuzzer target for the query path: request bytes -> dnsd::answer(), over UDP and TCP.
//
// The snapshot is built once, lazily, from the small ip4set data file below (written to a
// temporary directory and read through the loader, as the server does). The target
// asserts only invariants that hold for every input: the length fits the buffer; a
// packet parse_query() drops gets no reply and every other packet gets one (there is no
// ACL here); a reply echoes the ID, has QR set, walks cleanly (header, question, every
// record, names with backward pointers only, RDATA names ending where RDATA ends) and
// respects the UDP size limit.
// Replayed over tests/fuzz/corpus/query by replay_main.cc in every build.

#include "core/assert.h"
#include "core/dns.h"
#include "core/wire_reader.h"
#include "dnsd/query.h"
#include "loader/load.h"
#include "loader/options.h"
#include "zones/snapshot.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

namespace core = fastrbl::core;
namespace dnsd = fastrbl::dnsd;

// The zone the seeds in corpus/query target (see make_seeds.py). Exercises values with
// and without TXT, variables, `$=`, exclusions at several levels, a range, glue-less NS,
// and one address with enough long values to overflow 512 bytes (TC over UDP).
std::string data_file() {
  std::string s =
      "$SOA 3600 ns1.bl.example. hostmaster.bl.example. 0 600 300 86400 60\n"
      "$NS 3600 ns1.bl.example ns2.elsewhere.example\n"
      "$TTL 2100\n"
      "$1 var-one\n"
      "$= [$=] see http://bl.example/?$\n"
      ":127.0.0.2:Listed $ $1 $$\n"
      "127.0.0.2\n"
      "10.0.0.0/8\n"
      "!10.1.0.0/16\n"
      "10.1.2.0/24 :3:x $1\n"
      "!10.1.2.3\n"
      "192.168.1.1 :4:\n"
      "192.168.1.2 :5\n"
      "1.2.3.4-1.2.3.10 :127.0.0.10:=range $ $$ $=\n";
  for (int i = 1; i <= 12; ++i)
    s += "10.9.9.9 :127.0.1." + std::to_string(i) + ":" + std::string(60, static_cast<char>('a' + i)) + "\n";
  return s;
}

std::shared_ptr<const fastrbl::zones::Snapshot> load_snapshot() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "fastrbl-fuzz-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("fuzz_query: mkdtemp");
    std::abort();
  }
  const std::filesystem::path dir(tmpl);
  const std::filesystem::path file = dir / "bl";
  {
    std::ofstream out(file, std::ios::binary);
    out << data_file();
  }
  fastrbl::loader::LoadOptions options;
  options.now = 1700000000;  // fixed, so that runs do not depend on the clock
  auto snap = fastrbl::loader::load_snapshot({"bl.example:ip4set:" + file.string()}, options);
  std::filesystem::remove_all(dir);
  if (!snap.is_ok()) {
    std::fprintf(stderr, "fuzz_query: load failed: %.*s\n", static_cast<int>(snap.status().message().size()),
                 snap.status().message().data());
    std::abort();
  }
  return std::move(snap).value();
}

const fastrbl::zones::Snapshot& snapshot() {
  static const std::shared_ptr<const fastrbl::zones::Snapshot> snap = load_snapshot();
  return *snap;
}

// Walks a name at `pos`; on success `pos` is just past it. Pointers must go backwards.
bool walk_name(std::span<const std::uint8_t> m, std::size_t* pos) {
  std::size_t p = *pos;
  std::size_t end = 0;  // where the name ends in place (after the first pointer)
  std::size_t total = 1;
  for (int hops = 0; hops < 128;) {
    if (p >= m.size()) return false;
    const std::uint8_t b = m[p];
    if (b == 0) {
      *pos = end != 0 ? end : p + 1;
      return true;
    }
    if ((b & 0xc0) == 0xc0) {
      if (m.size() - p < 2) return false;
      const std::size_t target = (std::size_t{b & 0x3fu} << 8) | m[p + 1];
      if (target >= p) return false;
      if (end == 0) end = p + 2;
      p = target;
      ++hops;
      continue;
    }
    if ((b & 0xc0) != 0 || m.size() - p - 1 < b) return false;
    total += 1u + b;
    if (total > core::kMaxNameLen) return false;
    p += 1u + b;
  }
  return false;
}

// Header, questions and every record; RDATA names of NS/MX/SOA end where RDATA ends.
bool well_formed(std::span<const std::uint8_t> m) {
  if (m.size() < core::kHeaderSize) return false;
  const std::size_t qd = core::load_u16(&m[4]);
  const std::size_t rr = std::size_t{core::load_u16(&m[6])} + core::load_u16(&m[8]) + core::load_u16(&m[10]);
  std::size_t pos = core::kHeaderSize;
  for (std::size_t i = 0; i < qd; ++i) {
    if (!walk_name(m, &pos) || m.size() - pos < 4) return false;
    pos += 4;
  }
  for (std::size_t i = 0; i < rr; ++i) {
    if (!walk_name(m, &pos) || m.size() - pos < 10) return false;
    const std::uint16_t type = core::load_u16(&m[pos]);
    const std::size_t rdlen = core::load_u16(&m[pos + 8]);
    pos += 10;
    if (m.size() - pos < rdlen) return false;
    const std::size_t rd_end = pos + rdlen;
    std::size_t p = pos;
    switch (type) {
      case core::rrtype::kA:
        if (rdlen != 4) return false;
        break;
      case core::rrtype::kNS:
        if (!walk_name(m, &p) || p != rd_end) return false;
        break;
      case core::rrtype::kMX:
        p += 2;
        if (rdlen < 3 || !walk_name(m, &p) || p != rd_end) return false;
        break;
      case core::rrtype::kSOA:
        if (!walk_name(m, &p) || !walk_name(m, &p) || p + 20 != rd_end) return false;
        break;
      case core::rrtype::kTXT:
        if (rdlen < 1 || std::size_t{m[pos]} + 1 > rdlen) return false;
        break;
      default:
        break;
    }
    pos = rd_end;
  }
  return pos == m.size();
}

void check_reply(std::span<const std::uint8_t> query, std::span<const std::uint8_t> out, std::size_t n,
                 dnsd::Transport transport, bool dropped, const core::ParsedQuery& q) {
  FASTRBL_REQUIRE(n <= out.size());
  if (dropped) {
    FASTRBL_REQUIRE(n == 0);
    return;
  }
  FASTRBL_REQUIRE(n != 0);  // the snapshot has no ACL, so every parsed query is answered
  const auto r = out.first(n);
  FASTRBL_REQUIRE(n >= core::kHeaderSize);
  FASTRBL_REQUIRE(r[0] == query[0] && r[1] == query[1]);  // ID echoed
  FASTRBL_REQUIRE((r[2] & core::kFlagQR) != 0);
  FASTRBL_REQUIRE(core::load_u16(&r[4]) <= 1);
  FASTRBL_REQUIRE(well_formed(r));
  if (transport == dnsd::Transport::kUdp) {
    std::size_t limit = core::kMaxUdpPayload;
    if (q.edns == core::EdnsState::kPresent)
      limit = std::clamp<std::size_t>(q.edns_udp_size, core::kMaxUdpPayload, core::kMaxEdnsPayload);
    FASTRBL_REQUIRE(n <= limit);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fastrbl::zones::Snapshot& snap = snapshot();
  const std::span<const std::uint8_t> query(data, size);

  // What the parser says, for the invariants (answer() reads at most 2048 bytes).
  core::ParsedQuery q;
  const bool dropped =
      core::parse_query(query.first(std::min(size, core::kMaxQuerySize)), &q) != core::ParseResult::kOk;

  // Output buffers live for the whole run, as a worker's do; the small one makes ASan see
  // any write past the UDP buffer.
  static std::vector<std::uint8_t> udp_out(dnsd::kUdpOutSize);
  static std::vector<std::uint8_t> tcp_out(dnsd::kTcpOutSize);

  struct Run {
    dnsd::Transport transport;
    dnsd::AnswerConfig config;
    std::vector<std::uint8_t>* out;
  };
  dnsd::AnswerConfig lazy;
  lazy.lazy = true;
  lazy.version_mode = 1;
  dnsd::AnswerConfig no_version;
  no_version.version_mode = 2;
  const std::array<Run, 4> runs{{{dnsd::Transport::kUdp, {}, &udp_out},
                                 {dnsd::Transport::kTcp, {}, &tcp_out},
                                 {dnsd::Transport::kUdp, lazy, &udp_out},
                                 {dnsd::Transport::kTcp, no_version, &tcp_out}}};
  for (const Run& run : runs) {
    dnsd::WorkerState state;
    dnsd::AnswerInfo info;
    const std::size_t n =
        dnsd::answer(snap, run.config, query, *run.out, run.transport, nullptr, state, &info);
    check_reply(query, *run.out, n, run.transport, dropped, q);
    FASTRBL_REQUIRE(info.replied == (n != 0));
  }
  return 0;
}
