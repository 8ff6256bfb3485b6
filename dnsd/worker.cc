#include "dnsd/worker.h"

#include "core/log.h"
#include "dnsd/tcp.h"
#include "dnsd/udp.h"

#include <cstdio>
#include <pthread.h>
#include <string>
#include <unistd.h>

namespace fastrbl::dnsd {

namespace {

constexpr std::uint64_t kLogFlushMs = 1000;

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
  core::Status s = udp_->start(udp_fds);
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
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (ctx_.query_log != nullptr) ctx_.query_log->flush();
  ctx_.holder->worker_exited(ctx_.index);
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
