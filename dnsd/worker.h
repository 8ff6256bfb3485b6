#pragma once
// Worker: one serving thread with its own uv_loop, its UDP sockets (UdpIo), its TCP
// listeners and connections (TcpIo), and its WorkerContext (snapshot in use, answer()
// state, counters).
//
// Life cycle: construct and init() on the main thread (the loop and every handle are set
// up there, so socket errors surface before any thread runs), then start() the thread,
// which adopts the current snapshot and serves: it waits in its own epoll set on its UDP
// sockets and on libuv's backend descriptor, answers datagrams straight from that wait
// (UdpIo), and runs a turn of libuv's loop (TCP, wake-ups, timers) only when the loop has
// something to do — a libuv turn costs more instructions than answering a query. wake() makes the worker
// check for a newer snapshot even when no packet arrives; request_stop() makes it close all its handles,
// after which the loop ends and the thread reports worker_exited() to the SnapshotHolder. join() waits for
// that. With a query log, a timer writes the worker's log buffer out every second; request_log_flush()
// (SIGHUP) and the thread's end do too. Ownership: the Worker owns its loop, handles and buffers; it borrows
// the AnswerConfig and the SnapshotHolder, which must outlive it. Thread safety: wake(), request_stop() and
// stats() may be called from any thread; everything else from the main thread.

#include "core/status.h"
#include "dnsd/worker_context.h"

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace fastrbl::dnsd {

class TcpIo;
class UdpIo;

struct WorkerLimits {
  unsigned tcp_max_conns = 1024;
  unsigned tcp_idle_timeout = 10;  // seconds
};

/// What a worker counts and logs (query_stats.h, query_log.h).
struct WorkerReporting {
  std::size_t zones = 0;                    // zones per snapshot (fixed by the command line)
  const QueryLogFile* query_log = nullptr;  // null or not enabled(): no query log
};

class Worker {
 public:
  /// `reporting.query_log`, if set, must outlive the worker.
  Worker(std::size_t index, const AnswerConfig& answer_config, SnapshotHolder& holder,
         const WorkerLimits& limits, const WorkerReporting& reporting = {});
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Main thread, once: sets up the loop and opens the sockets (ownership of every
  /// descriptor is taken, also on failure).
  core::Status init(const std::vector<int>& udp_fds, const std::vector<int>& tcp_fds);
  /// Main thread, before start(): where non-QUERY UDP messages go (worker_context.h,
  /// NonQueryHandoff); without it the worker answers them (NOTIMP).
  void set_non_query_handoff(const NonQueryHandoff& h) noexcept { ctx_.non_query = h; }
  /// Main thread: starts the thread. Requires: init() succeeded.
  core::Status start();
  /// Any thread: look for a newer snapshot now.
  void wake() noexcept;
  /// Any thread: close everything and let the thread end.
  void request_stop() noexcept;
  /// Main thread: waits for the thread to end (no-op if it never started).
  void join();

  const WorkerStats& stats() const noexcept { return ctx_.stats; }
  /// Any thread: the per-zone query counters (single writer: this worker).
  const QueryCounters& query_counters() const noexcept { return *ctx_.counters; }
  /// Any thread: asks the worker to write out its query log buffer (request number
  /// `seq`, increasing); log_flushed(seq) turns true once it has.
  void request_log_flush(std::uint64_t seq) noexcept;
  bool log_flushed(std::uint64_t seq) const noexcept {
    return log_flush_ack_.load(std::memory_order_acquire) >= seq;
  }
  /// Any thread: query log lines lost to failed writes.
  std::uint64_t query_log_dropped() const noexcept {
    return ctx_.query_log ? ctx_.query_log->dropped().get() : 0;
  }
  bool using_recvmmsg() const noexcept;

 private:
  static void on_async(uv_async_t* async) noexcept;
  static void on_log_timer(uv_timer_t* timer) noexcept;
  void close_handles() noexcept;
  void run() noexcept;
  void serve() noexcept;
  void drain_loop() noexcept;

  WorkerContext ctx_;
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  int epfd_ = -1;  // the worker's own wait: its UDP sockets and loop_'s backend descriptor
  uv_async_t async_{};
  uv_timer_t log_timer_{};  // flushes the query log buffer every second
  std::unique_ptr<UdpIo> udp_;
  std::unique_ptr<TcpIo> tcp_;
  WorkerLimits limits_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> log_flush_req_{0};
  std::atomic<std::uint64_t> log_flush_ack_{0};
  std::thread thread_;
};

}  // namespace fastrbl::dnsd
