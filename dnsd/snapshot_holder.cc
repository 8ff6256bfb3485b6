#include "dnsd/snapshot_holder.h"

#include "core/assert.h"

#include <algorithm>

namespace fastrbl::dnsd {

SnapshotHolder::SnapshotHolder(std::size_t workers)
    : acks_(std::make_unique<Ack[]>(workers)), workers_(workers) {}

SnapshotHolder::~SnapshotHolder() = default;

std::uint64_t SnapshotHolder::publish(std::shared_ptr<const zones::Snapshot> snapshot) {
  FASTRBL_REQUIRE(snapshot != nullptr);
  auto rec = std::make_unique<Record>();
  rec->snapshot = snapshot.get();
  rec->generation = next_generation_++;
  rec->owner = std::move(snapshot);
  const Record* raw = rec.get();
  records_.push_back(std::move(rec));
  current_.store(raw, std::memory_order_release);
  return raw->generation;
}

const zones::Snapshot* SnapshotHolder::current() const noexcept {
  const Record* r = current_.load(std::memory_order_acquire);
  return r != nullptr ? r->snapshot : nullptr;
}

bool SnapshotHolder::adopt(std::size_t worker, const zones::Snapshot** snapshot,
                           std::uint64_t* generation) noexcept {
  // The record stays alive while this read happens: its generation is newer than the one
  // this worker last acknowledged, so collect() keeps it (see the header).
  const Record* r = current_.load(std::memory_order_acquire);
  if (r->generation == *generation) return false;
  *snapshot = r->snapshot;
  *generation = r->generation;
  acks_[worker].generation.store(r->generation, std::memory_order_release);
  return true;
}

void SnapshotHolder::worker_exited(std::size_t worker) noexcept {
  acks_[worker].generation.store(kExited, std::memory_order_release);
}

std::size_t SnapshotHolder::collect() {
  if (records_.size() <= 1) return 0;
  std::uint64_t oldest = kExited;
  for (std::size_t i = 0; i < workers_; ++i)
    oldest = std::min(oldest, acks_[i].generation.load(std::memory_order_acquire));
  // Every record older than `oldest` is unreachable: each worker has acknowledged a newer
  // generation, and a worker only moves forward. The current record always stays.
  std::size_t n = 0;
  while (records_.size() > 1 && records_.front()->generation < oldest) {
    records_.erase(records_.begin());
    ++n;
  }
  return n;
}

}  // namespace fastrbl::dnsd
