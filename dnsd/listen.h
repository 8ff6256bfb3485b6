#pragma once
// ListenSet: the addresses fastrbld listens on and their sockets (compat §2.3).
//
// Each -b text is resolved with getaddrinfo(AI_PASSIVE, SOCK_DGRAM, -4/-6 family); every
// address returned is used, an address seen before is silently skipped, and at most 20
// addresses are allowed. For each address and each worker there is one UDP socket and one
// listening TCP socket, all with SO_REUSEPORT, so the kernel spreads clients over the
// workers. Before the group is bound, a socket without SO_REUSEPORT probes the address, so
// that a port already used by another process is an error ("Address already in use", as
// rbldnsd) instead of a silent share. Port 0 means "any free port": a free UDP port is
// picked and then used for every worker's UDP and TCP socket (tried again with a new port
// when TCP cannot get it). IPV6_V6ONLY is left alone (rbldnsd: `::` is dual-stack).
//
// Ownership: the ListenSet owns every descriptor until take_fds() moves them out; the
// destructor closes what it still owns. Thread safety: a plain value; used by the main
// thread before workers start.

#include "core/status.h"

#include <cstddef>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace fastrbl::dnsd {

struct Config;

struct ListenAddress {
  sockaddr_storage addr{};  // with the actual port
  socklen_t addr_len = 0;
  std::string text;          // "127.0.0.1/5353", "::1/53" (numeric, actual port)
  std::vector<int> udp_fds;  // one per worker (none: TCP only, when inherited)
  std::vector<int> tcp_fds;  // one per worker, already listening (none: UDP only, when inherited)
};

class ListenSet {
 public:
  ListenSet() = default;
  ~ListenSet();
  ListenSet(ListenSet&& other) noexcept;
  ListenSet& operator=(ListenSet&& other) noexcept;
  ListenSet(const ListenSet&) = delete;
  ListenSet& operator=(const ListenSet&) = delete;

  /// Resolves config.bind and opens `workers` UDP and TCP sockets per address.
  /// Errors (rbldnsd's wording): "<text>: <resolver error>", "too many addresses to listen
  /// on (20 max)", "unable to bind to <addr>/<port>: <reason>" (with " (TCP)" for TCP).
  core::Status open(const Config& config, unsigned workers);

  /// Socket activation: takes the inherited descriptors `fds` (datagram sockets and
  /// listening stream sockets; anything else is an error) and shares each with every
  /// worker (the first worker gets the descriptor, the others dup()s of it). A UDP and a
  /// TCP socket on the same address make one ListenAddress; an address may have only one
  /// of the two. Errors: "inherited socket N: <reason>".
  core::Status adopt(const std::vector<int>& fds, unsigned workers);

  const std::vector<ListenAddress>& addresses() const noexcept { return addresses_; }

  /// Moves out the descriptors of worker `w`: UDP then TCP, at most one of each per
  /// address, in address order. The caller owns them afterwards.
  void take_fds(unsigned w, std::vector<int>* udp, std::vector<int>* tcp);

 private:
  void close_all() noexcept;
  std::vector<ListenAddress> addresses_;
};

/// "addr/port" for a socket address (numeric), as in rbldnsd's messages.
std::string format_address(const sockaddr* sa, socklen_t len);

inline constexpr std::size_t kMaxListenAddresses = 20;  // rbldnsd MAXSOCK
inline constexpr int kTcpBacklog = 1024;

}  // namespace fastrbl::dnsd
