#pragma once
// UdpIo: one worker's UDP sockets, received in recvmmsg batches and answered with one
// sendmmsg per batch (DESIGN.md, the query path).
//
// libuv (1.44) reads with recvmmsg when the handle is created with UV_UDP_RECVMMSG: it
// asks the alloc callback for a buffer, cuts it into 64 KiB chunks (at most 20), calls
// recvmmsg once, then calls the receive callback once per datagram (flag
// UV_UDP_MMSG_CHUNK) and once more with UV_UDP_MMSG_FREE (nread 0, no address). When
// nothing is waiting the callback gets nread 0 and no address. The alloc callback is
// therefore the start of a batch (the snapshot generation is checked there) and the
// MMSG_FREE / empty callback its end (the queued responses are sent there). Each datagram
// is answered straight into the next of kOutSlots fixed output slots; the slots are sent
// with one sendmmsg() on the socket's descriptor, earlier if they fill up. A short send or
// EAGAIN is retried once; what still does not go is dropped and counted. A uv_check
// handle sends anything left at the end of every loop turn (the fallback without
// recvmmsg reads several datagrams per turn without an end-of-batch callback).
//
// Memory: the receive slab (20 x 64 KiB) and the output slots with their address, iovec
// and mmsghdr arrays are allocated once, in the constructor; the receive path allocates
// nothing. Ownership: start() takes the descriptors (closed by the loop when the handles
// close). Thread safety: the worker's loop thread only.

#include "core/status.h"
#include "dnsd/worker_context.h"

#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <sys/socket.h>
#include <vector>

namespace fastrbl::dnsd {

class UdpIo {
 public:
  static constexpr std::size_t kRecvWidth = 20;         // libuv's UV__MMSG_MAXWIDTH
  static constexpr std::size_t kRecvChunk = 64 * 1024;  // libuv's chunk per datagram
  static constexpr std::size_t kOutSlots = 64;

  explicit UdpIo(WorkerContext& ctx);
  ~UdpIo();
  UdpIo(const UdpIo&) = delete;
  UdpIo& operator=(const UdpIo&) = delete;

  /// Opens one handle per descriptor on ctx.loop and starts receiving. Takes ownership of
  /// every descriptor, also on failure. Call once, before the loop runs.
  core::Status start(const std::vector<int>& fds);
  /// Stops receiving and closes the handles (completed by the loop).
  void close() noexcept;
  /// True when libuv reads these sockets with recvmmsg.
  bool using_recvmmsg() const noexcept;

 private:
  struct Socket {
    uv_udp_t handle;
    UdpIo* io = nullptr;
    int fd = -1;
  };

  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf) noexcept;
  static void on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                      unsigned flags) noexcept;
  static void on_check(uv_check_t* check) noexcept;

  void answer_datagram(const Socket& s, std::span<const std::uint8_t> query, const sockaddr* peer) noexcept;
  void flush() noexcept;

  WorkerContext& ctx_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::unique_ptr<std::uint8_t[]> slab_;  // kRecvWidth * kRecvChunk
  std::unique_ptr<std::uint8_t[]> out_;   // kOutSlots * kUdpOutSize
  std::array<sockaddr_storage, kOutSlots> peers_{};
  std::array<iovec, kOutSlots> iov_{};
  std::array<mmsghdr, kOutSlots> msgs_{};
  std::size_t pending_ = 0;  // queued responses in slots [0, pending_)
  int pending_fd_ = -1;      // the socket they go out on
  uv_check_t check_{};
  bool check_started_ = false;
};

}  // namespace fastrbl::dnsd
