#pragma once
// WorkerContext: what the UDP and TCP code of one worker share: its loop, the answer
// settings, the snapshot it currently uses, its answer() state, its counters and its
// query log buffer.
//
// Owned by the Worker; lives as long as the worker's loop. Thread safety: used only by
// the worker's thread (and by the main thread before that thread starts), except `stats`
// and `counters`, which the control thread may read (see stats.h, query_stats.h).

#include "core/dns.h"
#include "dnsd/query.h"
#include "dnsd/query_log.h"
#include "dnsd/query_stats.h"
#include "dnsd/snapshot_holder.h"
#include "dnsd/stats.h"

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <span>

namespace fastrbl::dnsd {

/// The hand-off hook for messages a worker does not answer itself: a UDP message whose
/// opcode is not QUERY (e.g. UPDATE, opcode 5) goes to `take` before answer() sees it.
/// `take` runs on the worker's thread, must not block, and must copy what it keeps: the
/// message and the peer address live only until it returns. It returns true when it took
/// the message (the worker then sends nothing for it; the taker may reply later on `fd`,
/// which stays open while the server runs); false lets the worker answer it as before
/// (NOTIMP). Unset (`take` null): every message is answered by the worker.
struct NonQueryHandoff {
  bool (*take)(void* arg, std::size_t worker, int fd, std::span<const std::uint8_t> message,
               const sockaddr* peer, socklen_t peer_len) noexcept = nullptr;
  void* arg = nullptr;
};

struct WorkerContext {
  std::size_t index = 0;
  uv_loop_t* loop = nullptr;
  const AnswerConfig* answer_config = nullptr;
  SnapshotHolder* holder = nullptr;
  const zones::Snapshot* snapshot = nullptr;  // valid until the next adopt()
  std::uint64_t generation = 0;
  WorkerState state;
  WorkerStats stats;
  std::unique_ptr<QueryCounters> counters;    // per zone; set by the Worker
  std::unique_ptr<QueryLogWriter> query_log;  // null without -l
  NonQueryHandoff non_query;                  // set before the worker's thread starts

  /// After answer(): counts the query (rbldnsd's rules, query_stats.h) and logs the reply,
  /// if one was made. `reply_len` is answer()'s result. Allocation-free.
  void account(std::span<const std::uint8_t> query, const AnswerInfo& info, std::size_t reply_len,
               const sockaddr* peer) noexcept {
    counters->count(info, query.size(), reply_len);
    if (query_log != nullptr) log(query, info, reply_len, peer);
  }

  /// The query-log half of account(), for callers that count themselves. Requires:
  /// query_log is set.
  void log(std::span<const std::uint8_t> query, const AnswerInfo& info, std::size_t reply_len,
           const sockaddr* peer) noexcept {
    if (reply_len == 0 || !info.parsed) return;
    LogEntry e;
    e.time = std::time(nullptr);
    e.peer = peer;
    e.qname = query.data() + core::kHeaderSize;  // parsed: an uncompressed name
    e.qtype = info.qtype;
    e.qclass = info.qclass;
    e.rcode = static_cast<std::uint8_t>(info.rcode);
    e.ancount = info.ancount;
    e.length = reply_len;
    query_log->add(e);
  }

  /// Batch start: one acquire load; takes a newer snapshot if one was published.
  void adopt() noexcept {
    if (holder->adopt(index, &snapshot, &generation)) stats.snapshots_adopted.add();
  }
};

}  // namespace fastrbl::dnsd
