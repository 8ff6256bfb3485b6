#pragma once
// TcpIo: one worker's DNS-over-TCP service (RFC 7766) on its own SO_REUSEPORT listeners.
//
// Framing: each message is preceded by its 2-byte length. A connection may carry many
// queries, pipelined; they are answered in order, each with the full answer (no
// truncation, kTcpOutSize). A frame of length 0 or above kMaxFrame, or a query that
// answer() drops (malformed), ends the connection once the earlier answers are sent.
//
// Connections live in slots: a slot holds the libuv handle, an input buffer (kInSize) and
// an output buffer (kOutSize: one largest response plus room for pipelining). Slots are
// allocated the first time they are needed and reused after a close; the query path
// allocates nothing. Responses are written straight into the output buffer and sent with
// uv_write (one write in flight per connection; what is answered meanwhile waits behind
// it). When the output buffer cannot take another largest response — the client sends
// but does not read — reading stops until the buffered output drains.
//
// Limits: at most max_conns open connections per worker; when full, the least recently
// active one (the tail of an LRU list ordered by last complete query or accept) is closed
// to admit the new client, so idle or half-open clients cannot lock anybody out. A
// connection without a complete query for idle_timeout seconds (counted from accept or
// the last complete query, so a client trickling bytes is still closed) is closed by a
// timer. Closing slots are capped at max_conns as well; if every slot is busy closing, the
// accept waits in the kernel backlog until a close completes. All I/O is non-blocking, so
// no client can delay another.
//
// Thread safety: the worker's loop thread only.

#include "core/dns.h"
#include "core/status.h"
#include "dnsd/worker_context.h"

#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sys/socket.h>
#include <vector>

namespace fastrbl::dnsd {

class TcpIo {
 public:
  static constexpr std::size_t kMaxFrame = core::kMaxQuerySize + 512;  // longest query accepted
  static constexpr std::size_t kInSize = 8192;                         // several pipelined queries
  static constexpr std::size_t kMaxResponse = 2 + kTcpOutSize;         // length prefix + message
  static constexpr std::size_t kOutSize = kMaxResponse + 16384;

  /// `idle_timeout_s` > 0, `max_conns` > 0.
  TcpIo(WorkerContext& ctx, unsigned max_conns, unsigned idle_timeout_s);
  ~TcpIo();
  TcpIo(const TcpIo&) = delete;
  TcpIo& operator=(const TcpIo&) = delete;

  /// Starts accepting on the listening descriptors (ownership taken, also on failure).
  /// Call once, before the loop runs.
  core::Status start(const std::vector<int>& fds);
  /// Closes listeners and connections (completed by the loop).
  void close() noexcept;

 private:
  struct Listener {
    uv_tcp_t handle;
    TcpIo* io = nullptr;
    bool pending_accept = false;  // libuv holds an accepted descriptor we had no slot for
  };
  struct Conn;

  static void on_connection(uv_stream_t* server, int status) noexcept;
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_closed(uv_handle_t* handle) noexcept;
  static void on_idle_timer(uv_timer_t* timer) noexcept;

  void accept_from(Listener* l) noexcept;
  Conn* take_slot() noexcept;
  void process(Conn* c) noexcept;
  void send(Conn* c) noexcept;
  void finish_if_done(Conn* c) noexcept;
  void start_reading(Conn* c) noexcept;
  void stop_reading(Conn* c) noexcept;
  void close_conn(Conn* c) noexcept;
  void lru_unlink(Conn* c) noexcept;
  void lru_push_front(Conn* c) noexcept;

  WorkerContext& ctx_;
  const std::size_t max_conns_;
  const std::size_t max_slots_;
  const std::uint64_t idle_timeout_ms_;
  const std::uint64_t tick_ms_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Conn>> slots_;  // every slot ever allocated
  Conn* free_ = nullptr;                      // closed slots, ready for reuse
  Conn* lru_head_ = nullptr;                  // open connections, most recently active first
  Conn* lru_tail_ = nullptr;
  std::size_t open_ = 0;  // connections in the LRU list
  uv_timer_t idle_timer_{};
  bool timer_running_ = false;
  bool shutting_down_ = false;
};

}  // namespace fastrbl::dnsd
