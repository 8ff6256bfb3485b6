#include "dnsd/reloader.h"

#include "core/log.h"
#include "dnsd/systemd.h"

#include <exception>
#include <malloc.h>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <utility>

namespace fastrbl::dnsd {
namespace {

constexpr int kLoaderNice = 10;

}  // namespace

Reloader::Reloader(uv_loop_t* loop, Check check, Publish publish)
    : loop_(loop), check_(std::move(check)), publish_(std::move(publish)) {
  req_.data = this;
}

Reloader::~Reloader() = default;

void Reloader::request() {
  if (closed_) return;
  if (running_) {
    pending_ = true;  // coalesced: one more check after the running one
    return;
  }
  start();
}

void Reloader::start() {
  const int err = uv_queue_work(loop_, &req_, work, after_work);
  if (err != 0) {
    FASTRBL_LOG_ERROR("unable to start a reload check: %s", uv_strerror(err));
    return;
  }
  running_ = true;
  pending_ = false;
  notify("RELOADING=1");  // systemd: READY=1 again when the check is done
}

void Reloader::work(uv_work_t* req) noexcept {
  auto* self = static_cast<Reloader*>(req->data);
  // The loading thread yields the CPU to the workers when both want it: on a busy host a
  // reload takes longer rather than making queries wait (and overflow socket buffers).
  // Linux nice values are per thread; the threadpool serves nothing else in fastrbld.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kLoaderNice);
  try {
    self->result_ = self->check_();
    ::malloc_trim(0);  // what parsing freed goes back to the system, so RSS is what serving holds
  } catch (const std::exception& e) {  // out of memory while loading: keep serving
    self->result_ = loader::CheckResult{};
    FASTRBL_LOG_ERROR("reload check failed: %s", e.what());
  }
}

void Reloader::after_work(uv_work_t* req, int /*status*/) noexcept {
  auto* self = static_cast<Reloader*>(req->data);
  self->running_ = false;
  ++self->completed_;
  loader::CheckResult result = std::move(self->result_);
  self->result_ = loader::CheckResult{};
  if (self->closed_) return;
  // Published before the log line: once "zones reloaded" is out, the new data answers.
  if (result.snapshot) {
    try {
      if (result.before_publish) result.before_publish();
      self->publish_(std::move(result.snapshot));
    } catch (const std::exception& e) {
      FASTRBL_LOG_ERROR("unable to publish the reloaded zones: %s", e.what());
    }
  }
  if (result.attempted()) loader::log_zones_reloaded(result);
  notify("READY=1");
  if (self->pending_) self->start();
}

}  // namespace fastrbl::dnsd
