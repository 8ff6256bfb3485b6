#pragma once
// Per-worker I/O counters (STYLE.md 26): each counter is written by its worker thread only
// and read by the control thread, which sums the workers. Writes are a relaxed load and
// store (no locked read-modify-write on the query path); reads are relaxed loads, so a
// sum is a recent value, not an atomic snapshot of all counters.

#include <atomic>
#include <cstdint>

namespace fastrbl::dnsd {

/// A counter with a single writer.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct WorkerStats {
  // UDP
  Counter udp_batches;       // recvmmsg calls that returned datagrams
  Counter udp_received;      // datagrams received
  Counter udp_dropped;       // datagrams answered with nothing (malformed, ...) or truncated
  Counter udp_sent;          // responses handed to the kernel
  Counter udp_send_dropped;  // responses dropped: EAGAIN after the retry, or a send error
  Counter udp_sendmmsg;      // sendmmsg calls
  Counter udp_recv_errors;   // receive errors (recvmmsg, or the poll handle)
  Counter udp_handed_off;    // non-QUERY messages taken by the hand-off hook (worker_context.h)
  // TCP
  Counter tcp_accepted;       // connections accepted
  Counter tcp_accept_errors;  // accept failures (EMFILE, ...)
  Counter tcp_deferred;       // accepts delayed because every slot was still closing
  Counter tcp_queries;        // framed queries read
  Counter tcp_answers;        // responses queued
  Counter tcp_bad_frames;     // connections closed for a length 0 or oversized frame
  Counter tcp_idle_closed;    // connections closed by the idle timeout
  Counter tcp_evicted;        // connections closed to admit a new one (cap reached)
  Counter tcp_write_errors;   // connections closed on a write error
  Counter tcp_blocked;        // times reading was paused because the client did not read
  // Snapshots
  Counter snapshots_adopted;  // newer snapshot generations taken
};

}  // namespace fastrbl::dnsd
