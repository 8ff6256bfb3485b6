#include "dns_client.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>
#include <utility>

namespace fastrbl::test {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

void put16(Bytes* b, std::uint16_t v) {
  b->push_back(static_cast<std::uint8_t>(v >> 8));
  b->push_back(static_cast<std::uint8_t>(v));
}

}  // namespace

Bytes make_query(std::uint16_t id, const std::string& name, std::uint16_t qtype, int edns_size,
                 std::uint16_t qclass) {
  Bytes q;
  put16(&q, id);
  put16(&q, 0x0100);  // RD
  put16(&q, 1);
  put16(&q, 0);
  put16(&q, 0);
  put16(&q, edns_size >= 0 ? 1 : 0);
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  put16(&q, qtype);
  put16(&q, qclass);
  if (edns_size >= 0) {
    q.push_back(0);  // root owner
    put16(&q, 41);
    put16(&q, static_cast<std::uint16_t>(edns_size));
    put16(&q, 0);
    put16(&q, 0);
    put16(&q, 0);
  }
  return q;
}

Bytes framed(const Bytes& message) {
  Bytes b;
  put16(&b, static_cast<std::uint16_t>(message.size()));
  b.insert(b.end(), message.begin(), message.end());
  return b;
}

Packet parse(const Bytes& wire) {
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, wire.data(), wire.size()) != LDNS_STATUS_OK) return nullptr;
  return Packet(p);
}

std::vector<std::string> rdata_of(const ldns_rr_list* section, ldns_rr_type type) {
  std::vector<std::string> out;
  if (section == nullptr) return out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(section); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(section, i);
    if (ldns_rr_get_type(rr) != type || ldns_rr_rd_count(rr) == 0) continue;
    char* s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
    out.emplace_back(s != nullptr ? s : "");
    std::free(s);
  }
  return out;
}

Endpoint loopback(int family, std::uint16_t port) {
  Endpoint e;
  e.family = family;
  if (family == AF_INET) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(&e.addr, &in, sizeof in);
    e.len = sizeof in;
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    in6.sin6_addr = in6addr_loopback;
    std::memcpy(&e.addr, &in6, sizeof in6);
    e.len = sizeof in6;
  }
  return e;
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const Endpoint e = loopback(AF_INET6, 0);
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.len) == 0;
  ::close(fd);
  return ok;
}

UdpClient::UdpClient(int family) { fd_ = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0); }

UdpClient::~UdpClient() {
  if (fd_ >= 0) ::close(fd_);
}

void UdpClient::send(const Endpoint& to, const Bytes& data) {
  // Best effort: a full socket buffer drops the datagram, as the network would.
  (void)::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
}

std::optional<Bytes> UdpClient::receive(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  Bytes buf(65536);
  for (;;) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n >= 0) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (errno != EAGAIN && errno != EINTR) return std::nullopt;
    if (!wait_fd(fd_, POLLIN, deadline)) return std::nullopt;
  }
}

std::optional<Bytes> UdpClient::receive_id(std::uint16_t id, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::optional<Bytes> r = receive(left);
    if (!r) return std::nullopt;
    if (r->size() >= 2 && ((*r)[0] << 8 | (*r)[1]) == id) return r;
  }
}

std::optional<Bytes> udp_exchange(const Endpoint& to, const Bytes& query, Millis timeout) {
  UdpClient c(to.family);
  c.send(to, query);
  return c.receive(timeout);
}

TcpClient::~TcpClient() { close(); }

TcpClient::TcpClient(TcpClient&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

TcpClient& TcpClient::operator=(TcpClient&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void TcpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TcpClient::connect(const Endpoint& to, Millis timeout, int rcvbuf) {
  close();
  fd_ = ::socket(to.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to.addr), to.len) == 0) return true;
  if (errno != EINPROGRESS) return false;
  if (!wait_fd(fd_, POLLOUT, Clock::now() + timeout)) return false;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0;
}

bool TcpClient::send(const Bytes& data, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (!wait_fd(fd_, POLLOUT, deadline)) return false;
  }
  return true;
}

bool TcpClient::read_exact(std::uint8_t* p, std::size_t n, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd_, p + got, n - got, 0);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
      continue;
    }
    if (r == 0) return false;  // EOF
    if (errno != EAGAIN && errno != EINTR) return false;
    if (!wait_fd(fd_, POLLIN, deadline)) return false;
  }
  return true;
}

std::optional<Bytes> TcpClient::read_message(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::uint8_t len[2];
  if (!read_exact(len, 2, deadline)) return std::nullopt;
  Bytes msg(static_cast<std::size_t>(len[0] << 8 | len[1]));
  if (!read_exact(msg.data(), msg.size(), deadline)) return std::nullopt;
  return msg;
}

bool TcpClient::wait_closed(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::uint8_t buf[4096];
  for (;;) {
    const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r == 0) return true;
    if (r < 0 && errno != EAGAIN && errno != EINTR) return true;  // reset
    if (r > 0) continue;
    if (!wait_fd(fd_, POLLIN, deadline)) return false;
  }
}

std::optional<Bytes> tcp_exchange(const Endpoint& to, const Bytes& query, Millis timeout) {
  TcpClient c;
  if (!c.connect(to, timeout)) return std::nullopt;
  if (!c.send(framed(query), timeout)) return std::nullopt;
  return c.read_message(timeout);
}

}  // namespace fastrbl::test
