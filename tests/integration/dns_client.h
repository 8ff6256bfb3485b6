#pragma once
// Test-side DNS client for the integration tests: builds queries by hand, talks UDP and
// TCP over loopback with bounded waits, and parses every response with ldns, an
// independent parser. Thread safety: free functions and per-object clients; a client
// object belongs to one thread.

// clang-format off
#include <stdbool.h>  // first: without it ldns #defines bool, true and false in C++
#include <ldns/ldns.h>
// clang-format on
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace fastrbl::test {

using Bytes = std::vector<std::uint8_t>;
using Millis = std::chrono::milliseconds;

/// A query: RD set, one question; `edns_size` >= 0 adds an OPT record with that size.
Bytes make_query(std::uint16_t id, const std::string& name, std::uint16_t qtype, int edns_size = -1,
                 std::uint16_t qclass = 1);
/// Prefixes the 2-byte length (TCP framing).
Bytes framed(const Bytes& message);

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Packet = std::unique_ptr<ldns_pkt, PktDeleter>;

/// Parses with ldns_wire2pkt; null if ldns rejects the bytes.
Packet parse(const Bytes& wire);
/// The rdata fields of the records of `type` in a section, as ldns prints them
/// ("127.0.0.2", "\"Listed 1.2.3.4\"").
std::vector<std::string> rdata_of(const ldns_rr_list* section, ldns_rr_type type);

/// A sockaddr for 127.0.0.1 or ::1 and `port`.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
};
Endpoint loopback(int family, std::uint16_t port);
/// True when ::1 can be bound on this host.
bool ipv6_loopback_available();

/// One UDP socket; send() and receive() with a deadline.
class UdpClient {
 public:
  explicit UdpClient(int family);
  ~UdpClient();
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;
  void send(const Endpoint& to, const Bytes& data);
  /// The next datagram, or nothing within `timeout`.
  std::optional<Bytes> receive(Millis timeout);
  /// The next datagram whose DNS id is `id` (others are discarded).
  std::optional<Bytes> receive_id(std::uint16_t id, Millis timeout);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

/// One query over UDP, the reply or nothing within `timeout`.
std::optional<Bytes> udp_exchange(const Endpoint& to, const Bytes& query, Millis timeout = Millis(2000));

/// One TCP connection with bounded operations.
class TcpClient {
 public:
  TcpClient() = default;
  ~TcpClient();
  TcpClient(TcpClient&& other) noexcept;
  TcpClient& operator=(TcpClient&& other) noexcept;
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  /// Connects within `timeout`; `rcvbuf` > 0 sets SO_RCVBUF first.
  bool connect(const Endpoint& to, Millis timeout = Millis(2000), int rcvbuf = 0);
  /// Writes everything within `timeout`.
  bool send(const Bytes& data, Millis timeout = Millis(2000));
  /// One length-prefixed message, or nothing (timeout, EOF, error).
  std::optional<Bytes> read_message(Millis timeout = Millis(2000));
  /// True when the server closed the connection (EOF or reset) within `timeout`;
  /// bytes that arrive meanwhile are discarded.
  bool wait_closed(Millis timeout);
  void close();
  int fd() const { return fd_; }

 private:
  bool read_exact(std::uint8_t* p, std::size_t n, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
};

/// One query over a fresh TCP connection.
std::optional<Bytes> tcp_exchange(const Endpoint& to, const Bytes& query, Millis timeout = Millis(2000));

}  // namespace fastrbl::test
