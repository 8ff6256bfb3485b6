#pragma once
// DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945, hmac-sha256) for feed-backed zones
// (docs/UPDATE.md).
//
// UpdateProcessor is the protocol: it takes one UPDATE message and returns the reply
// bytes, after verifying the TSIG record, mapping the update RRs to entry keys of ONE
// feed dataset (feeds/feed_config.h) and applying them with FeedStore::apply() in one
// LMDB write transaction (committed before the reply exists). render() then writes the
// dataset's output file (and those of the multi datasets built from it). A refusal changes
// nothing.
//
// UpdateService is the plumbing in fastrbld: workers hand UPDATE datagrams to it through
// the NonQueryHandoff hook (worker_context.h), copying them into a bounded queue under a
// mutex held for a push or a swap only (no allocation, no I/O under it); a uv_async_t
// wakes the control loop, which processes the queue and sends each reply with sendto() on
// the worker's socket as soon as its change is committed. The changed datasets are
// rendered kRenderDelayMs after the first change of a burst (one render for every message
// that arrived meanwhile), then a reload check is requested, so the change is answered
// within a second. It also renders, at start, every dataset whose output file no longer matches
// the LMDB entries (a crash between a commit and its render heals at the next start).
//
// Ownership: the processor owns its keys and the FeedStore; the service owns the
// processor. Thread safety: UpdateProcessor: one thread at a time. UpdateService:
// take() (via handoff()) from any worker thread; everything else on the control thread.

#include "core/status.h"
#include "core/tsig.h"
#include "dnsd/worker_context.h"
#include "feeds/feed_store.h"

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace fastrbl::zones {
class Store;
}

namespace fastrbl::dnsd {

/// RFC 2136 rcodes beyond core::Rcode.
inline constexpr std::uint8_t kRcodeNotAuth = 9;
inline constexpr std::uint8_t kRcodeNotZone = 10;
inline constexpr std::uint8_t kOpcodeUpdate = 5;

/// What one UPDATE did.
struct UpdateResult {
  std::vector<std::uint8_t> reply;  ///< empty: send nothing (not a request at all)
  std::uint8_t rcode = 0;
  core::TsigError tsig_error = core::TsigError::kNone;
  std::string key;      ///< the verified key's name, if any
  std::string dataset;  ///< the dataset changed; empty: nothing changed
  std::size_t added = 0, deleted = 0;
  std::string message;  ///< one line for the log: what was done or why not
};

class UpdateProcessor {
 public:
  /// `keys` may update every dataset of `feeds` that is not a multi dataset.
  UpdateProcessor(std::vector<core::TsigKey> keys, std::unique_ptr<feeds::FeedStore> feeds);
  ~UpdateProcessor();

  /// Processes one UPDATE message received at unix time `now`.
  UpdateResult process(std::span<const std::uint8_t> msg, std::int64_t now);

  /// Renders `dataset` and every multi dataset that has it as a member, giving each file an
  /// mtime later than any it had from us before (reload checks compare whole seconds and
  /// size: two renders within one second must still look changed).
  core::Status render(const std::string& dataset, std::int64_t now);

  /// Start-up: renders every dataset whose output file is missing or differs from what
  /// its LMDB entries render to (the render timestamp line aside). Returns how many.
  core::Result<std::size_t> heal(const std::shared_ptr<zones::Store>& store, std::int64_t now);

  const feeds::FeedConfig& config() const noexcept { return feeds_->config(); }
  feeds::FeedStore& feed_store() noexcept { return *feeds_; }
  bool has_keys() const noexcept { return !keys_.empty(); }

 private:
  core::Status render_one(const feeds::DatasetDef& d, std::int64_t now);

  std::vector<core::TsigKey> keys_;
  std::unique_ptr<feeds::FeedStore> feeds_;
  std::map<std::string, std::int64_t> last_mtime_;  // output path -> the last mtime we gave it
};

class UpdateService {
 public:
  static constexpr std::size_t kMaxQueued = 64;        ///< more waiting: the datagram is dropped
  static constexpr std::uint64_t kRenderDelayMs = 20;  ///< renders coalesce changes this long

  /// Loads the feed config (`feeds_path`) and, if `keys_path` is not empty, the TSIG keys;
  /// `store` is the LMDB store the feed entries live in (opened writable).
  static core::Result<std::unique_ptr<UpdateService>> create(const std::string& feeds_path,
                                                             const std::string& keys_path,
                                                             std::shared_ptr<zones::Store> store);
  ~UpdateService();
  UpdateService(const UpdateService&) = delete;
  UpdateService& operator=(const UpdateService&) = delete;

  UpdateProcessor& processor() noexcept { return *processor_; }
  /// Updates are accepted (a key file was given).
  bool accepts_updates() const noexcept { return processor_->has_keys(); }
  /// The hook for the workers. Requires: start() succeeded.
  NonQueryHandoff handoff() noexcept { return NonQueryHandoff{&UpdateService::take, this}; }

  /// Control thread, once: the wake-up handle and the render timer on `loop`; `changed`
  /// runs after the datasets changed by accepted updates were rendered (the server requests
  /// a reload check).
  core::Status start(uv_loop_t* loop, std::function<void()> changed);
  /// Control thread: renders what is still pending, closes the handles (queued messages
  /// are dropped, unanswered).
  void close() noexcept;

  /// Messages processed / dropped because the queue was full (control thread).
  std::uint64_t processed() const noexcept { return processed_; }

 private:
  struct Pending {
    std::vector<std::uint8_t> bytes;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    int fd = -1;
  };

  explicit UpdateService(std::unique_ptr<UpdateProcessor> p);
  static bool take(void* arg, std::size_t worker, int fd, std::span<const std::uint8_t> message,
                   const sockaddr* peer, socklen_t peer_len) noexcept;
  static void on_async(uv_async_t* async) noexcept;
  static void on_render_timer(uv_timer_t* timer) noexcept;
  void drain();
  void render_pending();

  std::unique_ptr<UpdateProcessor> processor_;
  std::function<void()> changed_;
  uv_async_t async_{};
  uv_timer_t render_timer_{};
  bool started_ = false;
  std::set<std::string> dirty_;  // datasets changed since the last render (control thread)
  std::mutex mu_;
  // kMaxQueued slots each, every slot's bytes reserved for core::kMaxEdnsPayload (a worker's receive slot)
  // once, so that take() copies without allocating. queue_[0, queued_) is guarded by mu_; drain() swaps the
  // two vectors (and the counts) under it and works on working_ outside it.
  std::vector<Pending> queue_;
  std::size_t queued_ = 0;
  std::vector<Pending> working_;
  std::size_t working_n_ = 0;
  bool closed_ = false;        // guarded by mu_: take() drops, never wakes a closed handle
  std::uint64_t dropped_ = 0;  // guarded by mu_
  std::uint64_t processed_ = 0;
};

}  // namespace fastrbl::dnsd
