#include "dnsd/udp.h"

#include "dnsd/query_fast.h"
#include "dnsd/raw_syscall.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <string>
#include <sys/epoll.h>
#include <unistd.h>

namespace fastrbl::dnsd {

namespace {

// The length of a peer address of socket `fd`: every datagram it receives comes from its
// own family (IPv4-mapped addresses on an IPv6 socket are sockaddr_in6). 0: neither.
socklen_t peer_length(int fd) noexcept {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return 0;
  if (sa.ss_family == AF_INET) return sizeof(sockaddr_in);
  if (sa.ss_family == AF_INET6) return sizeof(sockaddr_in6);
  return 0;
}

}  // namespace

// The fast path writes its replies into the receive slots (answer_fast_in_place()).
static_assert(UdpIo::kRecvSlot >= kUdpOutSize);

UdpIo::UdpIo(WorkerContext& ctx)
    : ctx_(ctx),
      in_(std::make_unique<std::uint8_t[]>(kBatch * kRecvSlot)),
      out_(std::make_unique<std::uint8_t[]>(kBatch * kUdpOutSize)) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_iov_[i].iov_base = in_.get() + i * kRecvSlot;
    in_iov_[i].iov_len = kRecvSlot;
    msghdr& in = in_msgs_[i].msg_hdr;
    in.msg_name = &peers_[i];
    in.msg_namelen = sizeof(sockaddr_storage);
    in.msg_iov = &in_iov_[i];
    in.msg_iovlen = 1;
    out_msgs_[i].msg_hdr.msg_iov = &out_iov_[i];
    out_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

UdpIo::~UdpIo() { close(); }

core::Status UdpIo::start(const std::vector<int>& fds, int epfd) {
  for (int fd : fds) sockets_.push_back({fd, peer_length(fd)});  // owned from here on
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (sockets_[i].peer_len == 0) return core::Status::error("a UDP socket of neither IPv4 nor IPv6");
    const int fl = ::fcntl(fds[i], F_GETFL);
    if (fl < 0 || ::fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) != 0)
      return core::Status::error(std::string("fcntl(O_NONBLOCK) on a UDP socket: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0)
      return core::Status::error(std::string("epoll_ctl on a UDP socket: ") + std::strerror(errno));
  }
  return core::Status::ok();
}

void UdpIo::close() noexcept {
  if (ctx_.query_log) ctx_.query_log->end_batch();
  for (Socket& s : sockets_) {
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
  }
}

void UdpIo::on_readable(std::uint64_t index) noexcept {
  if (index >= sockets_.size() || sockets_[index].fd < 0) return;
  const Socket& s = sockets_[index];
  for (std::size_t b = 0; b < kMaxBatchesPerWake; ++b)
    if (batch(s) < kRetryMin) break;
  if (ctx_.query_log) ctx_.query_log->end_batch();
}

std::size_t UdpIo::batch(const Socket& s) noexcept {
  const int fd = s.fd;
  const socklen_t peer_len = s.peer_len;
  int r;
  do {
    r = sys::recvmmsg(fd, in_msgs_.data(), kBatch, MSG_DONTWAIT | MSG_TRUNC);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) {
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ctx_.stats.udp_recv_errors.add();
    return 0;
  }
  const auto n = static_cast<std::size_t>(r);
  ctx_.adopt();  // the start of a batch
  ctx_.stats.udp_batches.add();
  ctx_.stats.udp_received.add(n);
  std::size_t out = 0;  // replies queued in out_msgs_[0, out)
  // What stays fixed for the batch, in locals: answer() is an opaque call, after which
  // the compiler would load each of these again for every datagram.
  const zones::Snapshot& snapshot = *ctx_.snapshot;
  const AnswerConfig& config = *ctx_.answer_config;
  QueryCounters& counters = *ctx_.counters;
  const bool log = ctx_.query_log != nullptr;
  const auto take = ctx_.non_query.take;
  // Without a query log, the fast path answers on its own and the counters take its
  // outcome directly (no AnswerInfo); what it leaves goes to the general path.
  const bool fast = !log && !snapshot.fast_zones().empty();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t real_len = in_msgs_[i].msg_len;            // MSG_TRUNC: the datagram's own length
    in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);  // for the next batch
    if (real_len == 0) {
      ctx_.stats.udp_dropped.add();
      continue;
    }
    auto* const q = static_cast<std::uint8_t*>(in_iov_[i].iov_base);
    // A longer datagram is cut to the slot: answer() reads only kMaxQuerySize bytes of a
    // query anyway (and the statistics count at most that much).
    const std::span<const std::uint8_t> query(q, real_len < kRecvSlot ? real_len : kRecvSlot);
    const auto* peer = reinterpret_cast<const sockaddr*>(&peers_[i]);
    if (take != nullptr && (q[2] & core::kOpcodeMask) != 0 && real_len > 2 &&
        real_len <= kRecvSlot &&  // only whole messages are handed off
        take(ctx_.non_query.arg, ctx_.index, fd, query, peer, peer_len)) {
      ctx_.stats.udp_handed_off.add();
      continue;
    }
    // The fast path answers in the receive slot itself (the reply starts with the query's
    // header and question); the general path writes to reply slot `out`.
    std::size_t len = 0;
    const FastReply f =
        fast ? answer_fast_in_place(snapshot, config, std::span(q, kRecvSlot), query.size(), ctx_.state)
             : FastReply{};
    if (f.len != 0) {
      len = f.len;
      out_iov_[out].iov_base = q;
      counters.count_replied(f.zone, query.size(), len, f.rcode);
    } else {
      auto* const o = out_.get() + out * kUdpOutSize;
      out_iov_[out].iov_base = o;
      AnswerInfo info;
      len = fast ? answer_general(snapshot, config, query, std::span(o, kUdpOutSize), Transport::kUdp, peer,
                                  ctx_.state, &info)
                 : answer(snapshot, config, query, std::span(o, kUdpOutSize), Transport::kUdp, peer,
                          ctx_.state, &info);
      counters.count(info, query.size(), len);  // ctx_.account(), its two halves
      if (log) ctx_.log(query, info, len, peer);
    }
    if (len == 0) {
      ctx_.stats.udp_dropped.add();
      continue;
    }
    out_iov_[out].iov_len = len;
    msghdr& h = out_msgs_[out].msg_hdr;
    h.msg_name = &peers_[i];
    h.msg_namelen = peer_len;
    ++out;
  }
  if (out > 0) send(fd, out);
  return n;
}

void UdpIo::send(int fd, std::size_t count) noexcept {
  std::size_t done = 0;  // replies handled: sent or failed
  std::size_t sent = 0;
  bool retried = false;
  while (done < count) {
    const int r =
        sys::sendmmsg(fd, out_msgs_.data() + done, static_cast<unsigned>(count - done), MSG_DONTWAIT);
    ctx_.stats.udp_sendmmsg.add();
    if (r > 0) {
      done += static_cast<std::size_t>(r);
      sent += static_cast<std::size_t>(r);
      if (done < count) {  // a short send: the socket buffer is full
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
  ctx_.stats.udp_send_dropped.add(count - sent);
}

}  // namespace fastrbl::dnsd
