#include "dnsd/server.h"

#include "core/log.h"
#include "dnsd/listen.h"
#include "dnsd/systemd.h"
#include "dnsd/update.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <pthread.h>
#include <signal.h>
#include <string>
#include <thread>

namespace fastrbl::dnsd {

namespace {

uv_handle_t* as_handle(void* h) noexcept { return static_cast<uv_handle_t*>(h); }

void close_if_open(uv_handle_t* h) noexcept {
  if (h->loop != nullptr && !uv_is_closing(h)) uv_close(h, nullptr);
}

}  // namespace

Server::Server(const Config& config) : config_(config) {
  answer_config_.lazy = config.lazy;
  answer_config_.version_mode = config.version_mode;
}

Server::~Server() {
  workers_.clear();  // stops and joins running threads, closes their loops
  if (loop_ready_) {
    for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_, &sigusr1_, &sigusr2_}) close_if_open(as_handle(s));
    close_if_open(as_handle(&retire_timer_));
    close_if_open(as_handle(&check_timer_));
    if (reloader_) reloader_->close();
    if (updates_) updates_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);  // also waits for a running reload check
    uv_loop_close(&loop_);
  }
}

core::Status Server::init(ListenSet& listen, std::shared_ptr<const zones::Snapshot> snapshot) {
  std::vector<std::string> zone_names;
  for (const zones::Zone& z : snapshot->zones()) zone_names.push_back(z.name.to_text());
  WorkerReporting reporting;
  reporting.zones = zone_names.size();
  reporting.query_log = &query_log_;
  reporter_ = std::make_unique<StatsReporter>(config_.statsfile, config_.stats_delta, std::move(zone_names));
  holder_ = std::make_unique<SnapshotHolder>(config_.workers);
  holder_->publish(std::move(snapshot));

  int err = uv_loop_init(&loop_);
  if (err != 0) return core::Status::error(std::string("uv_loop_init: ") + uv_strerror(err));
  loop_ready_ = true;
  uv_timer_init(&loop_, &retire_timer_);
  retire_timer_.data = this;
  uv_timer_init(&loop_, &check_timer_);
  check_timer_.data = this;
  for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_, &sigusr1_, &sigusr2_}) {
    err = uv_signal_init(&loop_, s);
    if (err != 0) return core::Status::error(std::string("uv_signal_init: ") + uv_strerror(err));
    s->data = this;
  }

  WorkerLimits limits;
  limits.tcp_max_conns = config_.tcp_max_conns;
  limits.tcp_idle_timeout = config_.tcp_idle_timeout;
  for (unsigned w = 0; w < config_.workers; ++w) {
    std::vector<int> udp;
    std::vector<int> tcp;
    listen.take_fds(w, &udp, &tcp);
    workers_.push_back(std::make_unique<Worker>(w, answer_config_, *holder_, limits, reporting));
    core::Status s = workers_.back()->init(udp, tcp);
    if (!s.is_ok()) return s;
  }
  return core::Status::ok();
}

core::Status Server::start() {
  const std::pair<uv_signal_t*, int> handlers[] = {{&sigterm_, SIGTERM},
                                                   {&sigint_, SIGINT},
                                                   {&sighup_, SIGHUP},
                                                   {&sigusr1_, SIGUSR1},
                                                   {&sigusr2_, SIGUSR2}};
  for (const auto& [h, signum] : handlers) {
    const int err = uv_signal_start(h, on_signal, signum);
    if (err != 0) return core::Status::error(std::string("uv_signal_start: ") + uv_strerror(err));
  }
  // Workers inherit a mask with the process signals blocked: they go to the control loop.
  // (Synchronous ones such as SIGSEGV stay unblocked, for the sanitizers' reports.)
  sigset_t async_signals;
  sigset_t old;
  sigemptyset(&async_signals);
  for (int signum : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD})
    sigaddset(&async_signals, signum);
  pthread_sigmask(SIG_BLOCK, &async_signals, &old);
  core::Status s;
  for (auto& w : workers_) {
    s = w->start();
    if (!s.is_ok()) break;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  started_ = s.is_ok();
  if (started_) reporter_->start(std::time(nullptr));
  return s;
}

int Server::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);  // until on_signal() closes the control handles
  for (auto& w : workers_) w->join();
  holder_->collect();
  if (terminated_) final_stats();
  log_totals();
  return 0;
}

void Server::open_query_log() {
  if (!config_.logfile.empty()) query_log_.open(config_.logfile, config_.log_unbuffered);
}

// Lines of queries answered before the signal belong in the old file (rbldnsd flushes
// its buffer as it closes the file): every running worker writes out its buffer first,
// waited for at most a second, then the new file takes over the descriptor.
void Server::reopen_query_log() {
  if (!query_log_.enabled()) return;
  const std::uint64_t seq = ++log_flush_seq_;
  if (started_) {
    for (auto& w : workers_) w->request_log_flush(seq);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (auto& w : workers_) {
      while (!w->log_flushed(seq) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  query_log_.reopen();
}

QueryTotals Server::query_totals() const {
  QueryTotals t;
  t.zones.resize(reporter_ ? reporter_->zone_names().size() : 0);
  for (const auto& w : workers_) w->query_counters().add_to(t);
  return t;
}

void Server::write_stats_line() { reporter_->write_line(query_totals(), std::time(nullptr)); }

// SIGUSR1: a stats file line and the counter log. SIGUSR2: the same, then the counters
// start again from zero and the stats file gets a bare timestamp (rbldnsd's order).
void Server::on_stats_signal(int signum) {
  const std::time_t now = std::time(nullptr);
  const QueryTotals totals = query_totals();
  reporter_->write_line(totals, now);
  reporter_->log_counters(totals, now);
  if (signum == SIGUSR2) {
    reporter_->reset(totals, now);
    reporter_->write_timestamp(now);
  }
}

// At SIGTERM/SIGINT, once the workers have stopped: a line, the counters, a timestamp.
void Server::final_stats() {
  const std::time_t now = std::time(nullptr);
  const QueryTotals totals = query_totals();
  reporter_->write_line(totals, now);
  reporter_->log_counters(totals, now);
  reporter_->write_timestamp(now);
}

void Server::publish(std::shared_ptr<const zones::Snapshot> snapshot) {
  holder_->publish(std::move(snapshot));
  for (auto& w : workers_) w->wake();
  if (holder_->pending_retired() > 0 && uv_is_active(as_handle(&retire_timer_)) == 0) {
    // Every worker adopts the new snapshot at its next batch or on the wake just sent,
    // within a millisecond unless descheduled: the old one is retired (and its memory,
    // or its images' pages, released) as soon as it can be.
    uv_timer_start(&retire_timer_, on_retire_timer, 1, 5);
  }
}

void Server::enable_reload(Reloader::Check check) {
  reloader_ = std::make_unique<Reloader>(
      &loop_, std::move(check),
      [this](std::shared_ptr<const zones::Snapshot> snapshot) { publish(std::move(snapshot)); });
  if (config_.check_interval > 0) {
    const std::uint64_t ms = std::uint64_t{config_.check_interval} * 1000;
    uv_timer_start(&check_timer_, on_check_timer, ms, ms);
  }
}

void Server::request_reload() {
  if (reloader_) reloader_->request();
}

core::Status Server::enable_updates(std::unique_ptr<UpdateService> updates) {
  core::Status s = updates->start(&loop_, [this] { request_reload(); });
  if (!s.is_ok()) return s;
  updates_ = std::move(updates);
  for (auto& w : workers_) w->set_non_query_handoff(updates_->handoff());
  return core::Status::ok();
}

void Server::on_check_timer(uv_timer_t* timer) noexcept {
  auto* s = static_cast<Server*>(timer->data);
  s->write_stats_line();  // rbldnsd's SIGALRM: a stats line, then the reload check
  s->request_reload();
}

std::size_t Server::workers_using_recvmmsg() const noexcept {
  std::size_t n = 0;
  for (const auto& w : workers_) n += w->using_recvmmsg() ? 1U : 0U;
  return n;
}

void Server::on_signal(uv_signal_t* handle, int signum) noexcept {
  auto* s = static_cast<Server*>(handle->data);
  if (signum == SIGUSR1 || signum == SIGUSR2) {
    s->on_stats_signal(signum);
    return;
  }
  if (signum == SIGHUP) {
    s->reopen_query_log();  // first, as rbldnsd: the check may take a while
    s->request_reload();
    return;
  }
  FASTRBL_LOG_INFO("terminating");
  notify("STOPPING=1");
  s->terminated_ = true;
  s->stop_workers();
  for (uv_signal_t* h : {&s->sigterm_, &s->sigint_, &s->sighup_, &s->sigusr1_, &s->sigusr2_})
    close_if_open(as_handle(h));
  close_if_open(as_handle(&s->retire_timer_));
  close_if_open(as_handle(&s->check_timer_));
  if (s->reloader_) s->reloader_->close();  // a running check completes without publishing
  if (s->updates_) s->updates_->close();
}

void Server::on_retire_timer(uv_timer_t* timer) noexcept {
  auto* s = static_cast<Server*>(timer->data);
  s->holder_->collect();
  if (s->holder_->pending_retired() == 0) uv_timer_stop(timer);
}

void Server::stop_workers() noexcept {
  for (auto& w : workers_) w->request_stop();
}

void Server::log_totals() const {
  WorkerStats sum;
  auto add = [](Counter& to, const Counter& from) { to.add(from.get()); };
  for (const auto& w : workers_) {
    const WorkerStats& st = w->stats();
    add(sum.udp_batches, st.udp_batches);
    add(sum.udp_received, st.udp_received);
    add(sum.udp_dropped, st.udp_dropped);
    add(sum.udp_sent, st.udp_sent);
    add(sum.udp_send_dropped, st.udp_send_dropped);
    add(sum.udp_sendmmsg, st.udp_sendmmsg);
    add(sum.udp_recv_errors, st.udp_recv_errors);
    add(sum.tcp_accepted, st.tcp_accepted);
    add(sum.tcp_accept_errors, st.tcp_accept_errors);
    add(sum.tcp_deferred, st.tcp_deferred);
    add(sum.tcp_queries, st.tcp_queries);
    add(sum.tcp_answers, st.tcp_answers);
    add(sum.tcp_bad_frames, st.tcp_bad_frames);
    add(sum.tcp_idle_closed, st.tcp_idle_closed);
    add(sum.tcp_evicted, st.tcp_evicted);
    add(sum.tcp_write_errors, st.tcp_write_errors);
    add(sum.tcp_blocked, st.tcp_blocked);
  }
  auto u = [](const Counter& c) { return static_cast<unsigned long long>(c.get()); };
  FASTRBL_LOG_INFO(
      "udp: in=%llu out=%llu dropped=%llu send_dropped=%llu recvmmsg=%llu sendmmsg=%llu recv_errors=%llu; "
      "tcp: conns=%llu queries=%llu answers=%llu bad_frames=%llu idle_closed=%llu evicted=%llu deferred=%llu "
      "blocked=%llu write_errors=%llu accept_errors=%llu",
      u(sum.udp_received), u(sum.udp_sent), u(sum.udp_dropped), u(sum.udp_send_dropped), u(sum.udp_batches),
      u(sum.udp_sendmmsg), u(sum.udp_recv_errors), u(sum.tcp_accepted), u(sum.tcp_queries),
      u(sum.tcp_answers), u(sum.tcp_bad_frames), u(sum.tcp_idle_closed), u(sum.tcp_evicted),
      u(sum.tcp_deferred), u(sum.tcp_blocked), u(sum.tcp_write_errors), u(sum.tcp_accept_errors));
}

}  // namespace fastrbl::dnsd
