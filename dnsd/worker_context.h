#pragma once
// WorkerContext: what the UDP and TCP code of one worker share: its loop, the answer
// settings, the snapshot it currently uses, its answer() state and its counters.
//
// Owned by the Worker; lives as long as the worker's loop. Thread safety: used only by
// the worker's thread (and by the main thread before that thread starts), except `stats`,
// which the control thread may read (see stats.h).

#include "dnsd/query.h"
#include "dnsd/snapshot_holder.h"
#include "dnsd/stats.h"

#include <uv.h>

#include <cstddef>
#include <cstdint>

namespace fastrbl::dnsd {

struct WorkerContext {
  std::size_t index = 0;
  uv_loop_t* loop = nullptr;
  const AnswerConfig* answer_config = nullptr;
  SnapshotHolder* holder = nullptr;
  const zones::Snapshot* snapshot = nullptr;  // valid until the next adopt()
  std::uint64_t generation = 0;
  WorkerState state;
  WorkerStats stats;

  /// Batch start: one acquire load; takes a newer snapshot if one was published.
  void adopt() noexcept {
    if (holder->adopt(index, &snapshot, &generation)) stats.snapshots_adopted.add();
  }
};

}  // namespace fastrbl::dnsd
