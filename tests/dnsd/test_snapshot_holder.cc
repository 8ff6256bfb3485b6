// SnapshotHolder (dnsd/snapshot_holder.h): publish / adopt / retire. A snapshot may be
// destroyed only on the control thread and only once no worker can still use it.

#include "dnsd/snapshot_holder.h"

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace {

using fastrbl::dnsd::SnapshotHolder;
using fastrbl::zones::Snapshot;

constexpr std::size_t kGenerations = 2000;

struct Tracker {
  std::array<std::atomic<bool>, kGenerations> destroyed{};
  std::thread::id control = std::this_thread::get_id();
  std::atomic<bool> destroyed_elsewhere{false};

  std::shared_ptr<const Snapshot> make(std::uint64_t g) {
    return std::shared_ptr<const Snapshot>(new Snapshot({}, g), [this](const Snapshot* s) {
      if (std::this_thread::get_id() != control) destroyed_elsewhere.store(true);
      destroyed[s->generation()].store(true);
      delete s;
    });
  }
};

}  // namespace

TEST_CASE("snapshot holder: retiring waits for every worker") {
  Tracker t;
  SnapshotHolder h(2);
  h.publish(t.make(0));
  const Snapshot* s0 = nullptr;
  const Snapshot* s1 = nullptr;
  std::uint64_t g0 = 0;
  std::uint64_t g1 = 0;
  CHECK(h.adopt(0, &s0, &g0));
  CHECK(h.adopt(1, &s1, &g1));
  CHECK_FALSE(h.adopt(0, &s0, &g0));  // nothing new
  CHECK(s0->generation() == 0);

  h.publish(t.make(1));
  CHECK(h.collect() == 0);  // both workers still on generation 1 (snapshot 0)
  CHECK(h.adopt(0, &s0, &g0));
  CHECK(s0->generation() == 1);
  CHECK(h.collect() == 0);  // worker 1 still uses snapshot 0
  CHECK_FALSE(t.destroyed[0].load());
  CHECK(h.pending_retired() == 1);
  h.worker_exited(1);  // an exited worker holds nothing
  CHECK(h.collect() == 1);
  CHECK(t.destroyed[0].load());
  CHECK_FALSE(t.destroyed[1].load());  // the current one always stays
  CHECK(h.pending_retired() == 0);
  CHECK(h.current() == s0);
}

TEST_CASE("snapshot holder: a worker that never adopted blocks retirement") {
  Tracker t;
  SnapshotHolder h(2);
  h.publish(t.make(0));
  const Snapshot* s = nullptr;
  std::uint64_t g = 0;
  h.adopt(0, &s, &g);
  h.publish(t.make(1));
  h.adopt(0, &s, &g);
  CHECK(h.collect() == 0);  // worker 1 may be reading the record of generation 1 right now
  const Snapshot* s1 = nullptr;
  std::uint64_t g1 = 0;
  CHECK(h.adopt(1, &s1, &g1));
  CHECK(h.collect() == 1);
}

TEST_CASE("snapshot holder: workers adopting while the control thread publishes and retires") {
  Tracker t;
  constexpr std::size_t kWorkers = 4;
  SnapshotHolder h(kWorkers);
  h.publish(t.make(0));
  std::atomic<bool> stop{false};
  std::atomic<int> used_after_free{0};
  std::atomic<std::uint64_t> adoptions{0};
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      const Snapshot* s = nullptr;
      std::uint64_t g = 0;
      do {  // at least one batch, however late the thread gets scheduled
        if (h.adopt(w, &s, &g)) adoptions.fetch_add(1, std::memory_order_relaxed);
        // "Serve a batch": the snapshot must stay alive while it is used.
        for (int i = 0; i < 50; ++i) {
          if (t.destroyed[s->generation()].load()) used_after_free.fetch_add(1);
        }
      } while (!stop.load(std::memory_order_relaxed));
      h.worker_exited(w);
    });
  }
  for (std::uint64_t g = 1; g < kGenerations; ++g) {
    h.publish(t.make(g));
    h.collect();
    if (g % 64 == 0) std::this_thread::yield();
  }
  stop.store(true);
  for (auto& th : workers) th.join();
  h.collect();
  CHECK(used_after_free.load() == 0);
  CHECK_FALSE(t.destroyed_elsewhere.load());
  CHECK(adoptions.load() >= kWorkers);
  CHECK(h.pending_retired() == 0);
  for (std::size_t g = 0; g + 1 < kGenerations; ++g) CHECK(t.destroyed[g].load());
  CHECK_FALSE(t.destroyed[kGenerations - 1].load());
}
