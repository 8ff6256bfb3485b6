#pragma once
// UdpIo: one worker's UDP sockets, read with recvmmsg in batches and answered with one
// sendmmsg per batch (DESIGN.md, the query path).
//
// Our own reads rather than libuv's uv_udp_recv (one callback per datagram, one alloc
// callback per read), and not watched by libuv at all: each non-blocking socket is in the
// worker's own epoll set (worker.h: the worker waits on its UDP sockets and on libuv's
// backend descriptor, and runs libuv's loop only when that has something to do, so that a
// datagram costs no turn of libuv's loop). When a socket turns readable, the worker calls
// on_readable(), which drains it: recvmmsg() of up to kBatch datagrams into fixed slots,
// the common query answered by the fast path inlined here (answer_fast_in_place() of
// dnsd/query_fast.h: the reply written over the query in its slot, counted without an
// AnswerInfo), the rest by answer_general() into the matching output slot (with a query
// log, all by answer()), then one sendmmsg() for the
// batch; again while a batch brought at least kRetryMin datagrams, up to kMaxBatchesPerWake
// batches, so that TCP and the wake-up handle get their turn (the epoll registration is
// level-triggered: what is left makes the socket readable again on the next wait). Under
// load, more datagrams have arrived while a batch of several was answered, and reading them
// at once saves an epoll_wait() and a sleep per wake (at 80,000 q/s, 7.29 -> 6.80 µs of CPU
// per query; bench/README.md, sixth round); a batch of fewer ends the drain without a
// recvmmsg that would most likely say EAGAIN (one query at a time, the usual case at low
// rates). The snapshot is adopted once per batch (snapshot_holder.h). A short
// send or EAGAIN is retried once; what still does not go is dropped and counted.
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
  static constexpr std::size_t kRetryMin = 4;  // a batch of this many is followed by another

  explicit UdpIo(WorkerContext& ctx);
  ~UdpIo();
  UdpIo(const UdpIo&) = delete;
  UdpIo& operator=(const UdpIo&) = delete;

  /// Makes each descriptor non-blocking and adds it to the epoll set `epfd` (level-
  /// triggered, readable), its event data being its index in `fds`. Takes ownership of
  /// every descriptor, also on failure. Call once, before the worker's thread runs.
  core::Status start(const std::vector<int>& fds, int epfd);
  /// Closes the descriptors (which takes them out of the epoll set). Idempotent.
  void close() noexcept;
  /// Socket `index` (its event data) is readable: drains it as described above.
  void on_readable(std::uint64_t index) noexcept;
  /// True once started: every socket is read with recvmmsg (always, on Linux).
  bool using_recvmmsg() const noexcept { return !sockets_.empty(); }

 private:
  struct Socket {
    int fd = -1;             // -1 once closed
    socklen_t peer_len = 0;  // the length of every peer address: the socket's family's
  };

  /// Receives one batch from `s`, answers it and sends the replies; returns the
  /// datagrams read (0: nothing waiting or an error).
  std::size_t batch(const Socket& s) noexcept;
  void send(int fd, std::size_t count) noexcept;

  WorkerContext& ctx_;
  std::vector<Socket> sockets_;
  std::unique_ptr<std::uint8_t[]> in_;   // kBatch * kRecvSlot
  std::unique_ptr<std::uint8_t[]> out_;  // kBatch * kUdpOutSize
  std::array<sockaddr_storage, kBatch> peers_{};
  std::array<iovec, kBatch> in_iov_{};
  std::array<mmsghdr, kBatch> in_msgs_{};
  std::array<iovec, kBatch> out_iov_{};  // each reply names its slot: in_ (fast path) or out_
  std::array<mmsghdr, kBatch> out_msgs_{};
};

}  // namespace fastrbl::dnsd
