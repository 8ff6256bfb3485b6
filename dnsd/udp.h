#pragma once
// UdpIo: one worker's UDP sockets, read with recvmmsg in batches and answered with one
// sendmmsg per batch (DESIGN.md, the query path).
//
// Our own loop rather than libuv's uv_udp_recv (one callback per datagram, one alloc
// callback per read): each non-blocking socket is watched by a uv_poll_t on the worker's
// loop. When it turns readable, on_readable() drains it: recvmmsg() of up to kBatch
// datagrams into fixed slots, answer() of each straight into the matching output slot,
// then one sendmmsg() for the batch; again while a batch came back full, up to
// kMaxBatchesPerWake batches, so that TCP and the wake-up handle get their turn (the poll
// is level-triggered: what is left makes the socket readable again on the next loop
// turn). A short batch ends the drain without a further recvmmsg that would only say
// EAGAIN. The snapshot is adopted once per batch (snapshot_holder.h). A short send or
// EAGAIN is retried once; what still does not go is dropped and counted.
//
// Sizes: a slot holds kMaxEdnsPayload (4096) bytes: answer() reads only the first
// kMaxQuerySize (2048) of a query (as rbldnsd), and a message handed off whole (below)
// may be as large as the largest EDNS payload we honour. recvmmsg gets MSG_TRUNC, so a
// longer datagram is known as such (it is answered from its first bytes, never handed
// off). Replies go to the address each datagram came from (the receive slot's own
// sockaddr, not a copy).
//
// Messages whose opcode is not QUERY go to WorkerContext::non_query when one is set
// (the hand-off hook, worker_context.h) and the whole message fits its slot; otherwise
// answer() replies NOTIMP as before.
//
// Memory: every buffer (receive and output slots, addresses, iovecs, mmsghdrs) is
// allocated once, in the constructor; the receive path allocates nothing. Ownership:
// start() takes the descriptors (closed by close() once the loop has closed the poll
// handles). Thread safety: the worker's loop thread only.

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

class UdpIo {
 public:
  static constexpr std::size_t kBatch = 64;                        // datagrams per recvmmsg
  static constexpr std::size_t kRecvSlot = core::kMaxEdnsPayload;  // bytes read of each
  static constexpr std::size_t kMaxBatchesPerWake = 16;            // then back to the loop

  explicit UdpIo(WorkerContext& ctx);
  ~UdpIo();
  UdpIo(const UdpIo&) = delete;
  UdpIo& operator=(const UdpIo&) = delete;

  /// Makes each descriptor non-blocking and watches it on ctx.loop. Takes ownership of
  /// every descriptor, also on failure. Call once, before the loop runs.
  core::Status start(const std::vector<int>& fds);
  /// Stops watching and closes the handles (completed by the loop) and the descriptors.
  void close() noexcept;
  /// True once started: every socket is read with recvmmsg (always, on Linux).
  bool using_recvmmsg() const noexcept { return !sockets_.empty(); }

 private:
  struct Socket {
    uv_poll_t poll;
    UdpIo* io = nullptr;
    int fd = -1;
  };

  static void on_poll(uv_poll_t* handle, int status, int events) noexcept;
  static void on_closed(uv_handle_t* handle) noexcept;
  void on_readable(const Socket& s) noexcept;
  /// Receives one batch, answers it and sends the replies; returns the datagrams read
  /// (0: nothing waiting or an error).
  std::size_t batch(const Socket& s) noexcept;
  void send(int fd, std::size_t count) noexcept;

  WorkerContext& ctx_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::unique_ptr<std::uint8_t[]> in_;   // kBatch * kRecvSlot
  std::unique_ptr<std::uint8_t[]> out_;  // kBatch * kUdpOutSize
  std::array<sockaddr_storage, kBatch> peers_{};
  std::array<iovec, kBatch> in_iov_{};
  std::array<mmsghdr, kBatch> in_msgs_{};
  std::array<iovec, kBatch> out_iov_{};
  std::array<mmsghdr, kBatch> out_msgs_{};
};

}  // namespace fastrbl::dnsd
