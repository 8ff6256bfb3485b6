// A Worker's UDP loop (dnsd/udp.h) on a loopback socket: batches of queries answered,
// and the non-QUERY hand-off hook (worker_context.h, NonQueryHandoff): what it takes gets
// no reply from the worker, what it declines is answered NOTIMP, queries never reach it.

#include "dnsd/query.h"
#include "dnsd/snapshot_holder.h"
#include "dnsd/worker.h"
#include "zones/snapshot.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace fastrbl;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t kOpcodeUpdate = 5;
constexpr std::uint8_t kOpcodeNotify = 4;

// A one-question message "x.example. IN A" with this id and opcode.
Bytes message(std::uint16_t id, std::uint8_t opcode) {
  Bytes m = {static_cast<std::uint8_t>(id >> 8),
             static_cast<std::uint8_t>(id),
             static_cast<std::uint8_t>(opcode << 3),
             0,
             0,
             1,
             0,
             0,
             0,
             0,
             0,
             0};
  const Bytes question = {1, 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
  m.insert(m.end(), question.begin(), question.end());
  return m;
}

// A socket of `type` bound to 127.0.0.1 on a free port, which *bound receives.
int loopback_socket(int type, sockaddr_in* bound) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  *bound = sa;
  return fd;
}

int udp_socket(sockaddr_in* bound) { return loopback_socket(SOCK_DGRAM, bound); }

std::optional<Bytes> receive(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
  Bytes b(4096);
  const ssize_t n = ::recv(fd, b.data(), b.size(), 0);
  if (n < 0) return std::nullopt;
  b.resize(static_cast<std::size_t>(n));
  return b;
}

// What the hook saw, filled on the worker thread.
struct Taken {
  std::mutex mu;
  std::vector<Bytes> messages;
  std::vector<std::uint16_t> peer_ports;
  std::vector<int> fds;
  std::vector<std::size_t> workers;
};

// Takes UPDATE, declines everything else.
bool take_update(void* arg, std::size_t worker, int fd, std::span<const std::uint8_t> msg,
                 const sockaddr* peer, socklen_t peer_len) noexcept {
  const std::uint8_t opcode = static_cast<std::uint8_t>((msg[2] >> 3) & 0x0f);
  if (opcode != kOpcodeUpdate) return false;
  auto* t = static_cast<Taken*>(arg);
  std::lock_guard<std::mutex> lock(t->mu);
  t->messages.emplace_back(msg.begin(), msg.end());
  sockaddr_in sin{};
  if (peer_len == sizeof sin) std::memcpy(&sin, peer, sizeof sin);
  t->peer_ports.push_back(ntohs(sin.sin_port));
  t->fds.push_back(fd);
  t->workers.push_back(worker);
  return true;
}

}  // namespace

TEST_CASE("worker udp: batches answered, non-QUERY messages handed off or answered NOTIMP") {
  dnsd::SnapshotHolder holder(1);
  holder.publish(std::make_shared<const zones::Snapshot>(std::vector<zones::Zone>{}, 1));
  const dnsd::AnswerConfig config;
  dnsd::Worker worker(0, config, holder, dnsd::WorkerLimits{});
  sockaddr_in server{};
  const int server_fd = udp_socket(&server);
  REQUIRE(worker.init({server_fd}, {}).is_ok());
  Taken taken;
  worker.set_non_query_handoff(dnsd::NonQueryHandoff{take_update, &taken});
  REQUIRE(worker.start().is_ok());
  REQUIRE(worker.using_recvmmsg());

  sockaddr_in client_addr{};
  const int client = udp_socket(&client_addr);
  auto send = [&](const Bytes& m) {
    REQUIRE(::sendto(client, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&server),
                     sizeof server) == static_cast<ssize_t>(m.size()));
  };

  SECTION("a burst of queries: every one answered (REFUSED: no zones), ids kept") {
    constexpr int kQueries = 150;
    for (int i = 0; i < kQueries; ++i) send(message(static_cast<std::uint16_t>(1000 + i), 0));
    std::vector<bool> seen(kQueries, false);
    for (int i = 0; i < kQueries; ++i) {
      std::optional<Bytes> r = receive(client, 3000);
      REQUIRE(r.has_value());
      REQUIRE(r->size() >= 12);
      const int id = ((*r)[0] << 8 | (*r)[1]) - 1000;
      REQUIRE(id >= 0);
      REQUIRE(id < kQueries);
      CHECK_FALSE(seen[static_cast<std::size_t>(id)]);
      seen[static_cast<std::size_t>(id)] = true;
      CHECK(((*r)[3] & 0x0f) == 5);  // REFUSED
    }
    CHECK(worker.stats().udp_received.get() == kQueries);
    CHECK(worker.stats().udp_sent.get() == kQueries);
    CHECK(worker.stats().udp_handed_off.get() == 0);
    std::lock_guard<std::mutex> lock(taken.mu);
    CHECK(taken.messages.empty());
  }

  SECTION("UPDATE is taken whole, with the peer and the socket; NOTIFY is declined: NOTIMP") {
    const Bytes update = message(42, kOpcodeUpdate);
    send(update);
    send(message(43, kOpcodeNotify));
    send(message(44, 0));
    std::optional<Bytes> r1 = receive(client, 3000);
    std::optional<Bytes> r2 = receive(client, 3000);
    REQUIRE(r1.has_value());
    REQUIRE(r2.has_value());
    if ((*r1)[1] != 43) std::swap(r1, r2);
    CHECK((*r1)[1] == 43);
    CHECK(((*r1)[3] & 0x0f) == 4);  // NOTIMP
    CHECK((*r2)[1] == 44);
    CHECK(((*r2)[3] & 0x0f) == 5);      // REFUSED
    CHECK_FALSE(receive(client, 200));  // nothing for the UPDATE
    std::lock_guard<std::mutex> lock(taken.mu);
    REQUIRE(taken.messages.size() == 1);
    CHECK(taken.messages[0] == update);
    CHECK(taken.peer_ports[0] == ntohs(client_addr.sin_port));
    CHECK(taken.fds[0] == server_fd);
    CHECK(taken.workers[0] == 0);
    CHECK(worker.stats().udp_handed_off.get() == 1);
    CHECK(worker.stats().udp_received.get() == 3);
    CHECK(worker.stats().udp_sent.get() == 2);
  }

  worker.request_stop();
  worker.join();
  ::close(client);
}

// The worker waits on its own epoll set and runs libuv's loop only when the loop has
// something to do (worker.h): under a steady UDP load, which keeps that wait from ever
// timing out, libuv's timers must still fire (the TCP idle timeout) and a TCP connection
// accepted meanwhile must be read (its watcher is added by the next turn of the loop).
TEST_CASE("worker udp: under a steady UDP load TCP is served and libuv's timers fire") {
  dnsd::SnapshotHolder holder(1);
  holder.publish(std::make_shared<const zones::Snapshot>(std::vector<zones::Zone>{}, 1));
  const dnsd::AnswerConfig config;
  dnsd::WorkerLimits limits;
  limits.tcp_idle_timeout = 1;  // seconds
  dnsd::Worker worker(0, config, holder, limits);
  sockaddr_in server{};
  const int server_fd = udp_socket(&server);
  sockaddr_in tcp_addr{};
  const int listener = loopback_socket(SOCK_STREAM, &tcp_addr);
  REQUIRE(::listen(listener, 16) == 0);
  REQUIRE(worker.init({server_fd}, {listener}).is_ok());
  REQUIRE(worker.start().is_ok());

  // The load: a query every 200 µs from another thread, replies drained as they come.
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> answered{0};
  std::thread load([&] {
    sockaddr_in client_addr{};
    const int client = udp_socket(&client_addr);
    Bytes b(512);
    for (std::uint16_t id = 0; !done.load(); ++id) {
      const Bytes m = message(id, 0);
      ::sendto(client, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&server), sizeof server);
      while (::recv(client, b.data(), b.size(), MSG_DONTWAIT) > 0) answered.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ::close(client);
  });
  const auto connect_tcp = [&] {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&tcp_addr), sizeof tcp_addr) == 0);
    return fd;
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the load is running

  // A query over a connection made during the load is answered.
  const int tcp = connect_tcp();
  Bytes framed = message(7, 0);
  framed.insert(framed.begin(), {0, static_cast<std::uint8_t>(framed.size())});
  REQUIRE(::send(tcp, framed.data(), framed.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(framed.size()));
  std::optional<Bytes> reply = receive(tcp, 3000);
  REQUIRE(reply.has_value());
  REQUIRE(reply->size() >= 14);
  CHECK((*reply)[3] == 7);  // the id, after the two length bytes

  // An idle connection is closed by the idle timer (1 s, checked on ticks) well within 5 s.
  const int idle = connect_tcp();
  const auto start = std::chrono::steady_clock::now();
  Bytes b(64);
  bool closed = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    pollfd p{idle, POLLIN, 0};
    if (::poll(&p, 1, 100) == 1) {
      closed = ::recv(idle, b.data(), b.size(), 0) <= 0;
      break;
    }
  }
  const std::uint64_t answered_during = answered.load();
  done.store(true);
  load.join();
  CHECK(closed);
  CHECK(answered_during > 100);  // the load was answered all along
  worker.request_stop();
  worker.join();
  ::close(tcp);
  ::close(idle);
}
