#pragma once
// SnapshotHolder: how the control thread hands an immutable Snapshot to the workers, and
// when it may destroy an old one (DESIGN.md, the update path; STYLE.md 21-23).
//
// Publishing: the control thread calls publish() with a new snapshot. The holder keeps the
// owning shared_ptr in its list (control thread only) and stores a pointer to an immutable
// {snapshot, generation} record with one release store. Generations increase by one per
// publish, starting at 1.
// Adopting: a worker calls adopt() at the start of each batch: one acquire load; when the
// generation changed it takes the new snapshot and then acknowledges the generation it now
// uses (release store into its own cache line). The snapshot pointer it holds stays valid
// until its next adopt() or worker_exited().
// Retiring: collect() (control thread) destroys every record older than the oldest
// generation any live worker has acknowledged, except the current one. Destruction of
// snapshots therefore happens only on the control thread, never on a worker.
// Thread safety: publish(), collect(), pending_retired() and the destructor: control
// thread only. adopt(i, ...) and worker_exited(i): worker i only. No locks anywhere.

#include "zones/snapshot.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fastrbl::dnsd {

class SnapshotHolder {
 public:
  /// `workers`: the number of worker slots (indexes 0..workers-1).
  explicit SnapshotHolder(std::size_t workers);
  ~SnapshotHolder();
  SnapshotHolder(const SnapshotHolder&) = delete;
  SnapshotHolder& operator=(const SnapshotHolder&) = delete;

  /// Control thread: makes `snapshot` the current one. Requires: snapshot != nullptr.
  /// Returns the new generation.
  std::uint64_t publish(std::shared_ptr<const zones::Snapshot> snapshot);

  /// Control thread: the current snapshot (nullptr before the first publish).
  const zones::Snapshot* current() const noexcept;

  /// Worker `worker`: adopts the current snapshot if its generation differs from
  /// *generation. Returns true when *snapshot and *generation changed.
  /// Requires: publish() was called at least once.
  bool adopt(std::size_t worker, const zones::Snapshot** snapshot, std::uint64_t* generation) noexcept;

  /// Worker `worker`: it will not use any snapshot again (its thread is ending).
  void worker_exited(std::size_t worker) noexcept;

  /// Control thread: destroys retired snapshots that no worker can still be using.
  /// Returns how many were destroyed.
  std::size_t collect();
  /// Control thread: retired snapshots still waiting for some worker.
  std::size_t pending_retired() const noexcept { return records_.empty() ? 0 : records_.size() - 1; }

 private:
  struct Record {
    const zones::Snapshot* snapshot = nullptr;
    std::uint64_t generation = 0;
    std::shared_ptr<const zones::Snapshot> owner;  // touched by the control thread only
  };
  struct alignas(64) Ack {
    std::atomic<std::uint64_t> generation{0};  // 0: has not adopted yet
  };
  static constexpr std::uint64_t kExited = UINT64_MAX;

  std::atomic<const Record*> current_{nullptr};
  std::vector<std::unique_ptr<Record>> records_;  // oldest first; the last is current
  std::unique_ptr<Ack[]> acks_;
  std::size_t workers_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace fastrbl::dnsd
