#pragma once
// Server: the workers plus the control loop of the main thread (signals, snapshot
// publishing and retirement).
//
// main() builds it after the sockets are bound and the first snapshot is loaded:
// init() publishes the snapshot and gives every worker its sockets, start() starts the
// worker threads (with the process signals blocked, so that only the main thread handles
// them), run() serves until SIGTERM or SIGINT, then stops the workers (uv_async), joins
// them and returns the exit status. publish() hands a new snapshot to the workers;
// retired snapshots are destroyed by a timer on this thread once every worker has moved
// past them. With enable_reload(), SIGHUP and a timer every -c interval request a reload
// check, run by a Reloader off this thread (dnsd/reloader.h). Statistics (rbldnsd's,
// stats_report.h): SIGUSR1 writes a stats file line and logs the counters, SIGUSR2 does
// the same and then resets them, SIGTERM/SIGINT end with a line, the counters and a bare
// timestamp; the -c timer writes a stats file line too. SIGHUP also reopens the query log
// (query_log.h).
// Ownership: owns the workers, the SnapshotHolder and the AnswerConfig they borrow.
// Thread safety: main thread only.

#include "core/status.h"
#include "dnsd/config.h"
#include "dnsd/query.h"
#include "dnsd/query_log.h"
#include "dnsd/query_stats.h"
#include "dnsd/reloader.h"
#include "dnsd/snapshot_holder.h"
#include "dnsd/stats_report.h"
#include "dnsd/worker.h"

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fastrbl::dnsd {

class ListenSet;
class UpdateService;

class Server {
 public:
  explicit Server(const Config& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Publishes `snapshot` and sets up one worker per config.workers on the sockets of
  /// `listen` (whose descriptors are taken).
  core::Status init(ListenSet& listen, std::shared_ptr<const zones::Snapshot> snapshot);
  /// Starts the worker threads. Requires: init() succeeded.
  core::Status start();
  /// Serves until SIGTERM/SIGINT; returns the process exit status.
  int run();
  /// Makes `snapshot` the one the workers answer from (control thread).
  void publish(std::shared_ptr<const zones::Snapshot> snapshot);
  /// Reload checks from now on: on SIGHUP and every config.check_interval seconds (0:
  /// SIGHUP only), each running `check` (ZoneSet::check() over text, StoreReload::check()
  /// with --db). Requires: init() succeeded; called once, before run().
  void enable_reload(Reloader::Check check);
  /// Requests a reload check (coalesced with a running one). Requires: enable_reload().
  void request_reload();
  /// DNS UPDATE (dnsd/update.h): the workers hand UPDATE datagrams to `updates`, which
  /// answers them on this loop and requests a reload check after each accepted change.
  /// Requires: init() succeeded, start() not yet called.
  core::Status enable_updates(std::unique_ptr<UpdateService> updates);

  /// Workers whose UDP sockets are read with recvmmsg.
  std::size_t workers_using_recvmmsg() const noexcept;

  /// Opens the -l query log (if any). Call before init(), after privileges are dropped
  /// and the working directory is set (rbldnsd opens it as the final user, relative to -w).
  void open_query_log();
  /// SIGHUP: reopens the query log file under the same descriptor (log rotation).
  void reopen_query_log();
  /// Appends a line to the -s stats file (SIGUSR1/SIGUSR2, and the -c check timer).
  /// Requires: init() succeeded.
  void write_stats_line();
  /// The workers' query counters, summed (since start-up; resets are the reporter's).
  QueryTotals query_totals() const;

 private:
  static void on_signal(uv_signal_t* handle, int signum) noexcept;
  void on_stats_signal(int signum);
  void final_stats();
  static void on_retire_timer(uv_timer_t* timer) noexcept;
  static void on_check_timer(uv_timer_t* timer) noexcept;
  void stop_workers() noexcept;
  void log_totals() const;

  Config config_;
  AnswerConfig answer_config_;
  QueryLogFile query_log_;  // before workers_: outlives them
  std::unique_ptr<StatsReporter> reporter_;
  bool terminated_ = false;  // SIGTERM/SIGINT (not a failed start)
  std::uint64_t log_flush_seq_ = 0;
  std::unique_ptr<SnapshotHolder> holder_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool started_ = false;
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  uv_signal_t sigterm_{};
  uv_signal_t sigint_{};
  uv_signal_t sighup_{};
  uv_signal_t sigusr1_{};
  uv_signal_t sigusr2_{};
  uv_timer_t retire_timer_{};
  uv_timer_t check_timer_{};  // -c
  std::unique_ptr<Reloader> reloader_;
  std::unique_ptr<UpdateService> updates_;  // null: UPDATE answered NOTIMP by the workers
};

}  // namespace fastrbl::dnsd
