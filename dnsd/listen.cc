#include "dnsd/listen.h"

#include "dnsd/config.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>
#include <utility>

namespace fastrbl::dnsd {

namespace {

constexpr int kPortZeroAttempts = 16;

struct OpenError {
  int err = 0;  // errno; 0: success
  bool tcp = false;
};

void close_fds(std::vector<int>* fds) noexcept {
  for (int fd : *fds)
    if (fd >= 0) ::close(fd);
  fds->clear();
}

constexpr int kUdpReceiveBuffer = 4 << 20;  // bytes asked for (SO_RCVBUF)

// A socket of `type` bound to `a`; returns the descriptor, or -errno.
int bound_socket(const sockaddr* a, socklen_t len, int type, bool reuseaddr, bool reuseport) noexcept {
  const int fd = ::socket(a->sa_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  const int one = 1;
  if (type == SOCK_DGRAM) {
    // A deep receive queue rides out a worker that is briefly descheduled (a busy host, a
    // reload on the same CPUs) instead of dropping queries: at 20k q/s the default 208 KiB
    // holds about 15 ms. The kernel caps the size at net.core.rmem_max; failure is harmless.
    const int rcvbuf = kUdpReceiveBuffer;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  if ((reuseaddr && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) ||
      (reuseport && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
      ::bind(fd, a, len) != 0) {
    const int err = errno;
    ::close(fd);
    return -err;
  }
  return fd;
}

std::uint16_t port_of(const sockaddr_storage& ss) noexcept {
  if (ss.ss_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, &ss, sizeof in);
    return ntohs(in.sin_port);
  }
  sockaddr_in6 in6;
  std::memcpy(&in6, &ss, sizeof in6);
  return ntohs(in6.sin6_port);
}

void set_port(sockaddr_storage* ss, std::uint16_t port) noexcept {
  if (ss->ss_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, ss, sizeof in);
    in.sin_port = htons(port);
    std::memcpy(ss, &in, sizeof in);
  } else {
    sockaddr_in6 in6;
    std::memcpy(&in6, ss, sizeof in6);
    in6.sin6_port = htons(port);
    std::memcpy(ss, &in6, sizeof in6);
  }
}

const sockaddr* as_sockaddr(const sockaddr_storage& ss) noexcept {
  return reinterpret_cast<const sockaddr*>(&ss);  // the sockets API's own address types
}

bool same_address(const sockaddr_storage& a, socklen_t alen, const sockaddr_storage& b,
                  socklen_t blen) noexcept {
  if (a.ss_family != b.ss_family || alen != blen) return false;
  if (a.ss_family == AF_INET) {
    sockaddr_in x;
    sockaddr_in y;
    std::memcpy(&x, &a, sizeof x);
    std::memcpy(&y, &b, sizeof y);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  sockaddr_in6 x;
  sockaddr_in6 y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x.sin6_port == y.sin6_port && x.sin6_scope_id == y.sin6_scope_id &&
         std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
}

// Probes `out->addr`, then opens the per-worker UDP and TCP sockets on it.
OpenError open_group(unsigned workers, ListenAddress* out) {
  const sockaddr* a = as_sockaddr(out->addr);
  const socklen_t len = out->addr_len;
  // Probes without SO_REUSEPORT: they fail if anybody else holds the address.
  int fd = bound_socket(a, len, SOCK_DGRAM, false, false);
  if (fd < 0) return {-fd, false};
  ::close(fd);
  fd = bound_socket(a, len, SOCK_STREAM, true, false);
  if (fd < 0) return {-fd, true};
  ::close(fd);

  for (unsigned w = 0; w < workers; ++w) {
    fd = bound_socket(a, len, SOCK_DGRAM, false, true);
    if (fd < 0) {
      close_fds(&out->udp_fds);
      close_fds(&out->tcp_fds);
      return {-fd, false};
    }
    out->udp_fds.push_back(fd);
    fd = bound_socket(a, len, SOCK_STREAM, true, true);
    if (fd >= 0 && ::listen(fd, kTcpBacklog) != 0) {
      const int err = errno;
      ::close(fd);
      fd = -err;
    }
    if (fd < 0) {
      close_fds(&out->udp_fds);
      close_fds(&out->tcp_fds);
      return {-fd, true};
    }
    out->tcp_fds.push_back(fd);
  }
  return {};
}

// A port that is free for UDP right now (the kernel's choice for port 0), or -errno.
int free_udp_port(const ListenAddress& a) noexcept {
  const int fd = bound_socket(as_sockaddr(a.addr), a.addr_len, SOCK_DGRAM, false, false);
  if (fd < 0) return fd;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return -err;
  }
  ::close(fd);
  return port_of(ss);
}

}  // namespace

std::string format_address(const sockaddr* sa, socklen_t len) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  return std::string(host) + "/" + serv;
}

ListenSet::~ListenSet() { close_all(); }

ListenSet::ListenSet(ListenSet&& other) noexcept : addresses_(std::move(other.addresses_)) {
  other.addresses_.clear();
}

ListenSet& ListenSet::operator=(ListenSet&& other) noexcept {
  if (this != &other) {
    close_all();
    addresses_ = std::move(other.addresses_);
    other.addresses_.clear();
  }
  return *this;
}

void ListenSet::close_all() noexcept {
  for (ListenAddress& a : addresses_) {
    close_fds(&a.udp_fds);
    close_fds(&a.tcp_fds);
  }
  addresses_.clear();
}

void ListenSet::take_fds(unsigned w, std::vector<int>* udp, std::vector<int>* tcp) {
  for (ListenAddress& a : addresses_) {
    if (w < a.udp_fds.size()) udp->push_back(std::exchange(a.udp_fds[w], -1));
    if (w < a.tcp_fds.size()) tcp->push_back(std::exchange(a.tcp_fds[w], -1));
  }
}

core::Status ListenSet::adopt(const std::vector<int>& fds, unsigned workers) {
  for (int fd : fds) {
    auto fail = [fd](const char* what) {
      const int err = errno;
      return core::Status::error("inherited socket " + std::to_string(fd) + ": " +
                                 (err != 0 ? std::string(what) + ": " + std::strerror(err) : what));
    };
    errno = 0;
    int type = 0;
    socklen_t tlen = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0) return fail("getsockopt");
    int listening = 0;
    tlen = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &tlen) != 0) return fail("getsockopt");
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail("getsockname");
    errno = 0;
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return fail("not an IPv4 or IPv6 socket");
    if (type != SOCK_DGRAM && !(type == SOCK_STREAM && listening != 0)) {
      return fail("neither a datagram nor a listening stream socket");
    }
    if (addresses_.size() >= kMaxListenAddresses) {
      return core::Status::error("too many addresses to listen on (" + std::to_string(kMaxListenAddresses) +
                                 " max)");
    }
    ListenAddress* a = nullptr;
    for (ListenAddress& b : addresses_)
      if (same_address(ss, len, b.addr, b.addr_len)) a = &b;
    if (a == nullptr) {
      addresses_.emplace_back();
      a = &addresses_.back();
      a->addr = ss;
      a->addr_len = len;
      a->text = format_address(as_sockaddr(ss), len);
    }
    std::vector<int>& mine = type == SOCK_DGRAM ? a->udp_fds : a->tcp_fds;
    if (!mine.empty()) return fail("a second socket of the same kind on the same address");
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      return fail("fcntl");
    }
    mine.push_back(fd);
    for (unsigned w = 1; w < workers; ++w) {
      const int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
      if (d < 0) return fail("dup");
      mine.push_back(d);
    }
  }
  return core::Status::ok();
}

core::Status ListenSet::open(const Config& config, unsigned workers) {
  close_all();
  // Resolve every -b text first: the full list is known before anything is bound.
  std::vector<ListenAddress> wanted;
  for (const std::string& text : config.bind) {
    std::string host;
    std::string service;
    if (!split_bind_text(text, &host, &service)) {
      return core::Status::error("missing host part in bind address `" + text + "'");
    }
    addrinfo hints{};
    hints.ai_flags = AI_PASSIVE;
    hints.ai_family = config.family;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) {
      const int err = errno;
      return core::Status::error(text + ": " + (rc == EAI_SYSTEM ? std::strerror(err) : ::gai_strerror(rc)));
    }
    for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
          ai->ai_addrlen > sizeof(sockaddr_storage)) {
        continue;
      }
      ListenAddress a;
      std::memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
      a.addr_len = ai->ai_addrlen;
      bool seen = false;
      for (const ListenAddress& b : wanted)
        seen = seen || same_address(a.addr, a.addr_len, b.addr, b.addr_len);
      if (seen) continue;  // the same address twice: silently skipped (rbldnsd)
      if (wanted.size() >= kMaxListenAddresses) {
        ::freeaddrinfo(res);
        return core::Status::error("too many addresses to listen on (" + std::to_string(kMaxListenAddresses) +
                                   " max)");
      }
      wanted.push_back(std::move(a));
    }
    ::freeaddrinfo(res);
  }

  for (ListenAddress& a : wanted) {
    const bool any_port = port_of(a.addr) == 0;
    const std::string requested = format_address(as_sockaddr(a.addr), a.addr_len);
    OpenError e;
    for (int attempt = 0; attempt < (any_port ? kPortZeroAttempts : 1); ++attempt) {
      if (any_port) {
        set_port(&a.addr, 0);  // a new kernel choice each attempt
        const int port = free_udp_port(a);
        if (port < 0) {
          e = {-port, false};
          break;
        }
        set_port(&a.addr, static_cast<std::uint16_t>(port));
      }
      e = open_group(workers, &a);
      if (e.err == 0 || e.err != EADDRINUSE) break;
    }
    if (e.err != 0) {
      close_all();  // open_group() already closed this address's sockets
      return core::Status::error("unable to bind to " + requested + (e.tcp ? " (TCP)" : "") + ": " +
                                 std::strerror(e.err));
    }
    a.text = format_address(as_sockaddr(a.addr), a.addr_len);
    addresses_.push_back(std::move(a));
  }
  return core::Status::ok();
}

}  // namespace fastrbl::dnsd
