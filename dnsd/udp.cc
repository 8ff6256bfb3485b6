#include "dnsd/udp.h"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <unistd.h>

namespace fastrbl::dnsd {

namespace {

socklen_t peer_length(const sockaddr* sa) noexcept {
  if (sa->sa_family == AF_INET) return sizeof(sockaddr_in);
  if (sa->sa_family == AF_INET6) return sizeof(sockaddr_in6);
  return 0;
}

}  // namespace

UdpIo::UdpIo(WorkerContext& ctx)
    : ctx_(ctx),
      slab_(std::make_unique<std::uint8_t[]>(kRecvWidth * kRecvChunk)),
      out_(std::make_unique<std::uint8_t[]>(kOutSlots * kUdpOutSize)) {}

UdpIo::~UdpIo() = default;

core::Status UdpIo::start(const std::vector<int>& fds) {
  int err = uv_check_init(ctx_.loop, &check_);
  if (err == 0) {
    check_.data = this;
    err = uv_check_start(&check_, on_check);
    check_started_ = err == 0;
  }
  if (err != 0) {
    for (int fd : fds) ::close(fd);
    return core::Status::error(std::string("uv_check_init: ") + uv_strerror(err));
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    auto s = std::make_unique<Socket>();
    s->io = this;
    s->fd = fds[i];
    // AF_UNSPEC: with a family, libuv 1.44 creates a socket of its own and uv_udp_open
    // then fails with EBUSY. The flag bits above the family select recvmmsg.
    err = uv_udp_init_ex(ctx_.loop, &s->handle, AF_UNSPEC | UV_UDP_RECVMMSG);
    if (err != 0) {
      for (std::size_t j = i; j < fds.size(); ++j) ::close(fds[j]);
      return core::Status::error(std::string("uv_udp_init_ex: ") + uv_strerror(err));
    }
    s->handle.data = s.get();
    Socket* raw = s.get();
    sockets_.push_back(std::move(s));
    err = uv_udp_open(&raw->handle, raw->fd);
    if (err != 0) {
      for (std::size_t j = i; j < fds.size(); ++j) ::close(fds[j]);
      raw->fd = -1;
      return core::Status::error(std::string("uv_udp_open: ") + uv_strerror(err));
    }
    // uv_udp_open sets SO_REUSEADDR; take it back, so that no other process can later
    // bind the same address with SO_REUSEADDR and take our datagrams.
    const int off = 0;
    ::setsockopt(raw->fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof off);
    err = uv_udp_recv_start(&raw->handle, on_alloc, on_recv);
    if (err != 0) {
      for (std::size_t j = i + 1; j < fds.size(); ++j) ::close(fds[j]);
      return core::Status::error(std::string("uv_udp_recv_start: ") + uv_strerror(err));
    }
  }
  return core::Status::ok();
}

void UdpIo::close() noexcept {
  flush();
  for (auto& s : sockets_) {
    uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&s->handle);  // libuv's handle "base class"
    if (uv_is_closing(h)) continue;
    if (s->fd >= 0) uv_udp_recv_stop(&s->handle);
    uv_close(h, nullptr);
  }
  uv_handle_t* c = reinterpret_cast<uv_handle_t*>(&check_);
  if (c->loop != nullptr && !uv_is_closing(c)) uv_close(c, nullptr);
}

bool UdpIo::using_recvmmsg() const noexcept {
  if (sockets_.empty()) return false;
  for (const auto& s : sockets_)
    if (uv_udp_using_recvmmsg(&s->handle) == 0) return false;
  return true;
}

void UdpIo::on_alloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) noexcept {
  UdpIo* io = static_cast<Socket*>(handle->data)->io;
  io->ctx_.adopt();  // the start of a batch
  buf->base = reinterpret_cast<char*>(io->slab_.get());
  buf->len = kRecvWidth * kRecvChunk;
}

void UdpIo::on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                    unsigned flags) noexcept {
  const Socket* s = static_cast<Socket*>(handle->data);
  UdpIo* io = s->io;
  if ((flags & UV_UDP_MMSG_FREE) != 0) {  // the end of a recvmmsg batch
    io->ctx_.stats.udp_batches.add();
    io->flush();
    return;
  }
  if (nread < 0) {
    io->ctx_.stats.udp_recv_errors.add();
    io->flush();
    return;
  }
  if (addr == nullptr) {  // nothing (more) to read
    io->flush();
    return;
  }
  io->ctx_.stats.udp_received.add();
  if (nread == 0 || (flags & UV_UDP_PARTIAL) != 0) {
    io->ctx_.stats.udp_dropped.add();
    return;
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(buf->base);  // bytes of our slab
  io->answer_datagram(*s, std::span(data, static_cast<std::size_t>(nread)), addr);
}

void UdpIo::on_check(uv_check_t* check) noexcept { static_cast<UdpIo*>(check->data)->flush(); }

void UdpIo::answer_datagram(const Socket& s, std::span<const std::uint8_t> query,
                            const sockaddr* peer) noexcept {
  const socklen_t peer_len = peer_length(peer);
  if (peer_len == 0) {
    ctx_.stats.udp_dropped.add();
    return;
  }
  if (pending_ > 0 && pending_fd_ != s.fd) flush();
  const std::size_t slot = pending_;
  std::uint8_t* out = out_.get() + slot * kUdpOutSize;
  AnswerInfo info;
  const std::size_t n = answer(*ctx_.snapshot, *ctx_.answer_config, query, std::span(out, kUdpOutSize),
                               Transport::kUdp, peer, ctx_.state, &info);
  ctx_.account(query, info, n, peer);
  if (n == 0) {
    ctx_.stats.udp_dropped.add();
    return;
  }
  // Constant sizes: an inline copy, not a call.
  if (peer_len == sizeof(sockaddr_in)) {
    std::memcpy(&peers_[slot], peer, sizeof(sockaddr_in));
  } else {
    std::memcpy(&peers_[slot], peer, sizeof(sockaddr_in6));
  }
  iov_[slot].iov_base = out;
  iov_[slot].iov_len = n;
  msghdr& h = msgs_[slot].msg_hdr;
  h = msghdr{};
  h.msg_name = &peers_[slot];
  h.msg_namelen = peer_len;
  h.msg_iov = &iov_[slot];
  h.msg_iovlen = 1;
  msgs_[slot].msg_len = 0;
  pending_fd_ = s.fd;
  if (++pending_ == kOutSlots) flush();
}

void UdpIo::flush() noexcept {
  if (ctx_.query_log) ctx_.query_log->end_batch();
  if (pending_ == 0) return;
  std::size_t done = 0;  // slots handled: sent or failed
  std::size_t sent = 0;
  bool retried = false;
  while (done < pending_) {
    const unsigned count = static_cast<unsigned>(pending_ - done);
    const int r = ::sendmmsg(pending_fd_, msgs_.data() + done, count, MSG_DONTWAIT);
    ctx_.stats.udp_sendmmsg.add();
    if (r > 0) {
      done += static_cast<std::size_t>(r);
      sent += static_cast<std::size_t>(r);
      if (done < pending_) {  // a short send: the socket buffer is full
        if (retried) break;
        retried = true;
      }
      continue;
    }
    const int err = r < 0 ? errno : EAGAIN;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      if (retried) break;
      retried = true;
      continue;
    }
    ++done;  // this datagram failed (unreachable peer, ...): skip it, send the rest
  }
  ctx_.stats.udp_sent.add(sent);
  ctx_.stats.udp_send_dropped.add(pending_ - sent);
  pending_ = 0;
}

}  // namespace fastrbl::dnsd
