// The "ceiling" of the end-to-end harness (bench/e2e/run.sh): a DNS responder that does
// as little as a UDP server can. One thread, one blocking socket; it reads up to 32
// datagrams with one recvmmsg(), turns each into an NXDOMAIN reply that copies the header
// and question (QR and AA set, RD kept, counts 1/0/0/0, anything after the question
// dropped), and sends the batch with one sendmmsg(). A 4 MiB receive buffer, as fastrbld.
// No zone, no lookup, no EDNS: whatever
// a real server spends above this is its own work.
//
//   bench_null_responder ADDR PORT [epoll]
//
// With `epoll`, it waits in epoll_wait() on the socket and then reads it without blocking,
// as fastrbld's workers do (they also watch libuv's descriptor), instead of blocking in
// recvmmsg(): the cost of that wait, measured apart (bench/README.md, sixth round).
//
// Prints "started" once the socket is bound. Runs until killed. Bench code only.

#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr unsigned kBatch = 32;
constexpr std::size_t kBufSize = 1500;

// Length of the reply for a query of `len` bytes in `b` (rewritten in place), or 0 to drop.
std::size_t make_reply(std::array<std::uint8_t, kBufSize>& b, std::size_t len) {
  if (len < 12 || (b[2] & 0x80) != 0) return 0;
  std::size_t pos = 12;
  while (pos < len && b[pos] != 0) {
    if ((b[pos] & 0xc0) != 0) return 0;
    pos += 1u + b[pos];
  }
  if (pos + 5 > len) return 0;
  pos += 5;                                                // root byte, QTYPE, QCLASS
  b[2] = static_cast<std::uint8_t>(0x84 | (b[2] & 0x01));  // QR, AA, RD echoed
  b[3] = 3;                                                // NXDOMAIN
  b[4] = 0;
  b[5] = 1;
  std::memset(&b[6], 0, 6);
  return pos;
}

}  // namespace

int main(int argc, char** argv) {
  const bool use_epoll = argc == 4 && std::strcmp(argv[3], "epoll") == 0;
  if (argc != 3 && !use_epoll) {
    std::fprintf(stderr, "usage: %s ADDR PORT [epoll]\n", argv[0]);
    return 2;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    std::perror("socket");
    return 1;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
    std::fprintf(stderr, "bad address %s\n", argv[1]);
    return 2;
  }
  // The receive buffer fastrbld asks for (dnsd/listen.cc), so that both lose the same
  // when descheduled on a busy host.
  const int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    std::perror("bind");
    return 1;
  }
  std::printf("started\n");
  std::fflush(stdout);

  static std::array<std::array<std::uint8_t, kBufSize>, kBatch> bufs;
  std::array<sockaddr_in, kBatch> peers{};
  std::array<iovec, kBatch> in_iov{};
  std::array<iovec, kBatch> out_iov{};
  std::array<mmsghdr, kBatch> in{};
  std::array<mmsghdr, kBatch> out{};
  for (unsigned i = 0; i < kBatch; ++i) {
    in_iov[i] = {bufs[i].data(), kBufSize};
    in[i].msg_hdr.msg_iov = &in_iov[i];
    in[i].msg_hdr.msg_iovlen = 1;
    in[i].msg_hdr.msg_name = &peers[i];
  }
  const int ep = use_epoll ? epoll_create1(EPOLL_CLOEXEC) : -1;
  if (use_epoll) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
      std::perror("epoll");
      return 1;
    }
  }
  for (;;) {
    for (unsigned i = 0; i < kBatch; ++i) in[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    if (use_epoll) {
      std::array<epoll_event, 8> events{};
      if (epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1) <= 0) continue;
    }
    const int n = recvmmsg(fd, in.data(), kBatch, use_epoll ? MSG_DONTWAIT : MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      std::perror("recvmmsg");
      return 1;
    }
    unsigned m = 0;
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<unsigned>(i);
      const std::size_t len = make_reply(bufs[k], in[k].msg_len);
      if (len == 0) continue;
      out_iov[m] = {bufs[k].data(), len};
      out[m].msg_hdr = {};
      out[m].msg_hdr.msg_iov = &out_iov[m];
      out[m].msg_hdr.msg_iovlen = 1;
      out[m].msg_hdr.msg_name = &peers[k];
      out[m].msg_hdr.msg_namelen = in[k].msg_hdr.msg_namelen;
      ++m;
    }
    unsigned sent = 0;
    while (sent < m) {
      const int r = sendmmsg(fd, out.data() + sent, m - sent, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;  // as a server would: drop the rest of the batch
      }
      sent += static_cast<unsigned>(r);
    }
  }
}
