#pragma once
// answer(): the pure function from (snapshot, request bytes, client) to response bytes.
//
// Everything between parse and send lives here: rbldnsd's answer rules (compat §6) and
// our deliberate differences (DESIGN.md): NODATA for empty non-terminals, an OPT record
// in every reply to an EDNS query, TC when an answer record does not fit, full answers
// over TCP. It is noexcept, allocation-free and lock-free, and touches only its
// arguments; unit tests, the fuzzer, benchmarks and the workers all call it directly.
// Thread safety: any number of threads may call it at once, each with its own
// WorkerState and output buffer.

#include "core/dns.h"
#include "zones/snapshot.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/socket.h>

namespace fastrbl::dnsd {

/// Answer settings fixed at start-up from the command line.
struct AnswerConfig {
  bool lazy = false;     // -a: no NS records in the AUTHORITY section of positive answers
  int version_mode = 0;  // 0: version.bind answers "fastrbl <version>"; 1 (-v): "fastrbl";
                         // 2 (-vv): REFUSED
};

/// Mutable per-worker state that answers depend on.
struct WorkerState {
  std::uint32_t ns_rotation = 0;  // round-robin start of NS sets (compat §5)
};

enum class Transport : std::uint8_t { kUdp, kTcp };

/// What happened to one query, for statistics and the query log.
struct AnswerInfo {
  bool replied = false;      // false: dropped, nothing to send
  bool parsed = false;       // the question was parsed
  std::ptrdiff_t zone = -1;  // index into snapshot.zones(), or -1 before/without a zone
  core::Rcode rcode = core::Rcode::kNoError;
  std::uint8_t ext_rcode = 0;  // upper 8 bits of an extended rcode (OPT), e.g. 1: BADVERS
  std::uint16_t ancount = 0;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
};

/// The smallest output buffer answer() accepts for each transport.
inline constexpr std::size_t kUdpOutSize = core::kMaxEdnsPayload;
inline constexpr std::size_t kTcpOutSize = core::kMaxTcpMessage;

/// Builds the response to `query` in `out` and returns its length; 0 means send nothing.
/// `peer` is the client address (for ACLs; may be null in tests).
/// Requires: out.size() >= kUdpOutSize for UDP, >= kTcpOutSize for TCP.
std::size_t answer(const zones::Snapshot& snapshot, const AnswerConfig& config,
                   std::span<const std::uint8_t> query, std::span<std::uint8_t> out, Transport transport,
                   const sockaddr* peer, WorkerState& state, AnswerInfo* info) noexcept;

/// What answer_fast_in_place() (dnsd/query_fast.h) did with a query.
struct FastReply {
  std::uint16_t len = 0;   // the reply's length; 0: not answered, call answer_general()
  std::uint16_t zone = 0;  // index into snapshot.zones()
  std::uint16_t ancount = 0;
  core::Rcode rcode = core::Rcode::kNoError;
};

/// answer() without its fast path: for a query answer_fast_in_place() did not answer.
std::size_t answer_general(const zones::Snapshot& snapshot, const AnswerConfig& config,
                           std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                           Transport transport, const sockaddr* peer, WorkerState& state,
                           AnswerInfo* info) noexcept;

/// The version string served for version.bind / version.server.
const char* version_string() noexcept;

}  // namespace fastrbl::dnsd
