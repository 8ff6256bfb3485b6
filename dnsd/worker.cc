#include "dnsd/worker.h"

#include "core/log.h"
#include "dnsd/raw_syscall.h"
#include "dnsd/tcp.h"
#include "dnsd/udp.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <pthread.h>
#include <string>
#include <sys/epoll.h>
#include <unistd.h>

namespace fastrbl::dnsd {

namespace {

constexpr std::uint64_t kLogFlushMs = 1000;

// The event data of libuv's backend descriptor in the worker's epoll set (UDP sockets use
// their index, which is far below).
constexpr std::uint64_t kLoopEvent = ~std::uint64_t{0};

constexpr std::uint64_t kNoDeadline = std::numeric_limits<std::uint64_t>::max();

// True when libuv has watchers queued for its epoll set that it adds only at the start of
// its next poll (a callback started reading a new TCP connection, say): until a uv_run()
// has added them, their events cannot make the backend descriptor readable, so the
// worker must run the loop again without waiting. uv_backend_timeout() does not account
// for them (libuv issues #1565, #3234), hence a look at the loop's queue head: libuv 1.44
// (Debian 12) keeps it as `void* watcher_queue[2]` (empty: points at itself); 1.45 on as
// `struct uv__queue watcher_queue`.
bool watchers_pending(const uv_loop_t& loop) noexcept {
#if UV_VERSION_MAJOR == 1 && UV_VERSION_MINOR < 45
  return loop.watcher_queue[0] != static_cast<const void*>(&loop.watcher_queue);
#else
  return loop.watcher_queue.next != &loop.watcher_queue;
#endif
}

}  // namespace

Worker::Worker(std::size_t index, const AnswerConfig& answer_config, SnapshotHolder& holder,
               const WorkerLimits& limits, const WorkerReporting& reporting)
    : limits_(limits) {
  ctx_.index = index;
  ctx_.answer_config = &answer_config;
  ctx_.holder = &holder;
  ctx_.loop = &loop_;
  ctx_.counters = std::make_unique<QueryCounters>(reporting.zones);
  if (reporting.query_log != nullptr && reporting.query_log->enabled())
    ctx_.query_log = std::make_unique<QueryLogWriter>(*reporting.query_log);
}

Worker::~Worker() {
  if (thread_.joinable()) {
    request_stop();
    join();
  }
  if (loop_ready_) drain_loop();
  if (epfd_ >= 0) ::close(epfd_);
}

core::Status Worker::init(const std::vector<int>& udp_fds, const std::vector<int>& tcp_fds) {
  auto close_all = [&] {
    for (int fd : udp_fds) ::close(fd);
    for (int fd : tcp_fds) ::close(fd);
  };
  int err = uv_loop_init(&loop_);
  if (err != 0) {
    close_all();
    return core::Status::error(std::string("uv_loop_init: ") + uv_strerror(err));
  }
  loop_ready_ = true;
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kLoopEvent;
  if (epfd_ < 0 || ::epoll_ctl(epfd_, EPOLL_CTL_ADD, uv_backend_fd(&loop_), &ev) != 0) {
    const int e = errno;
    close_all();
    return core::Status::error(std::string("the worker's epoll set: ") + std::strerror(e));
  }
  err = uv_async_init(&loop_, &async_, on_async);
  if (err != 0) {
    close_all();
    return core::Status::error(std::string("uv_async_init: ") + uv_strerror(err));
  }
  async_.data = this;
  if (ctx_.query_log != nullptr) {
    uv_timer_init(&loop_, &log_timer_);
    log_timer_.data = this;
    uv_timer_start(&log_timer_, on_log_timer, kLogFlushMs, kLogFlushMs);
    uv_unref(reinterpret_cast<uv_handle_t*>(&log_timer_));  // libuv's handle "base class"
  }
  udp_ = std::make_unique<UdpIo>(ctx_);
  tcp_ = std::make_unique<TcpIo>(ctx_, limits_.tcp_max_conns, limits_.tcp_idle_timeout);
  core::Status s = udp_->start(udp_fds, epfd_);
  if (!s.is_ok()) {
    for (int fd : tcp_fds) ::close(fd);
    return s;
  }
  return tcp_->start(tcp_fds);
}

core::Status Worker::start() {
  thread_ = std::thread([this] { run(); });
  return core::Status::ok();
}

void Worker::run() noexcept {
  char name[16];
  std::snprintf(name, sizeof name, "fastrbld-w%zu", ctx_.index);
  pthread_setname_np(pthread_self(), name);
  ctx_.adopt();
  serve();
  if (ctx_.query_log != nullptr) ctx_.query_log->flush();
  ctx_.holder->worker_exited(ctx_.index);
}

// The worker's own wait (see worker.h): epoll on the UDP sockets and libuv's backend
// descriptor. libuv's loop runs (one non-blocking turn) when its descriptor is readable,
// when its next timer is due, or when it has work that needs no wait (closing handles,
// watchers to add); a datagram is answered without it. The loop's timers are kept by
// deadline, in uv_now()'s clock, since a busy UDP socket would otherwise keep the wait
// from ever timing out. Ends when libuv's loop has nothing left alive (after
// close_handles(): stop requested).
void Worker::serve() noexcept {
  std::array<epoll_event, 8> events{};
  std::uint64_t deadline = kNoDeadline;  // when libuv's next timer is due
  bool run_loop = true;                  // the first turn adds the watchers init() set up
  for (;;) {
    if (run_loop) {
      if (uv_run(&loop_, UV_RUN_NOWAIT) == 0) return;
      run_loop = false;
      const int t = uv_backend_timeout(&loop_);  // relative to uv_now(), just updated
      deadline = t < 0 ? kNoDeadline : uv_now(&loop_) + static_cast<std::uint64_t>(t);
      if (t == 0 || watchers_pending(loop_)) {
        run_loop = true;
        continue;
      }
    }
    int timeout = -1;
    if (deadline != kNoDeadline) {
      uv_update_time(&loop_);  // the loop's own clock, which the deadline was computed in
      const std::uint64_t now = uv_now(&loop_);
      if (now >= deadline) {
        run_loop = true;
        continue;
      }
      const std::uint64_t left = deadline - now;
      timeout = left < 1000000u ? static_cast<int>(left) : 1000000;
    }
    const int n = sys::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n == 0) run_loop = true;  // the deadline (checked again above)
    for (int i = 0; i < n; ++i) {
      if (events[static_cast<std::size_t>(i)].data.u64 == kLoopEvent) {
        run_loop = true;
      } else {
        udp_->on_readable(events[static_cast<std::size_t>(i)].data.u64);
      }
    }
  }
}

void Worker::wake() noexcept { uv_async_send(&async_); }

void Worker::request_stop() noexcept {
  stop_.store(true, std::memory_order_release);
  uv_async_send(&async_);
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

bool Worker::using_recvmmsg() const noexcept { return udp_ != nullptr && udp_->using_recvmmsg(); }

void Worker::request_log_flush(std::uint64_t seq) noexcept {
  log_flush_req_.store(seq, std::memory_order_release);
  uv_async_send(&async_);
}

void Worker::on_async(uv_async_t* async) noexcept {
  auto* w = static_cast<Worker*>(async->data);
  const std::uint64_t req = w->log_flush_req_.load(std::memory_order_acquire);
  if (req != w->log_flush_ack_.load(std::memory_order_relaxed)) {
    if (w->ctx_.query_log != nullptr) w->ctx_.query_log->flush();
    w->log_flush_ack_.store(req, std::memory_order_release);
  }
  if (w->stop_.load(std::memory_order_acquire)) {
    w->close_handles();
    return;
  }
  w->ctx_.adopt();
}

void Worker::on_log_timer(uv_timer_t* timer) noexcept {
  static_cast<Worker*>(timer->data)->ctx_.query_log->flush();
}

void Worker::close_handles() noexcept {
  if (udp_ != nullptr) udp_->close();
  if (tcp_ != nullptr) tcp_->close();
  uv_handle_t* t = reinterpret_cast<uv_handle_t*>(&log_timer_);  // libuv's handle "base class"
  if (t->loop != nullptr && !uv_is_closing(t)) uv_close(t, nullptr);
  uv_handle_t* a = reinterpret_cast<uv_handle_t*>(&async_);  // libuv's handle "base class"
  if (a->loop != nullptr && !uv_is_closing(a)) uv_close(a, nullptr);
}

// Closes whatever is still open and lets the loop finish the closes (main thread, when
// the thread has ended or never ran).
void Worker::drain_loop() noexcept {
  close_handles();
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (ctx_.query_log != nullptr) ctx_.query_log->flush();
  if (uv_loop_close(&loop_) != 0)
    FASTRBL_LOG_WARN("worker %zu: loop still has open handles at exit", ctx_.index);
  loop_ready_ = false;
}

}  // namespace fastrbl::dnsd
