// Integration tests over TCP (RFC 7766): framing, pipelining, slow, idle and non-reading
// clients, the connection cap and the idle timeout. The real fastrbld on loopback, every
// response parsed by ldns, every wait bounded.

#include "dns_client.h"
#include "expect.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <vector>

namespace fastrbl::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint16_t kA = 1;
constexpr std::uint16_t kTXT = 16;

// Enough descriptors for hundreds of client sockets.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Sends a valid framed query one byte per `period` on its own connection, until stopped
// or the query is complete. Never reads.
class Trickler {
 public:
  Trickler(const Endpoint& ep, milliseconds period) {
    REQUIRE(conn_.connect(ep));
    thread_ = std::thread([this, period] {
      const Bytes msg = framed(make_query(99, "4.3.2.1.bl.example", kA));
      for (std::size_t i = 0; i < msg.size() && !stop_.load(); ++i) {
        if (!conn_.send(Bytes{msg[i]}, milliseconds(1000))) break;
        ++sent_;
        for (auto t = Clock::now() + period; Clock::now() < t && !stop_.load();)
          std::this_thread::sleep_for(milliseconds(10));
      }
    });
  }
  ~Trickler() {
    stop_.store(true);
    thread_.join();
  }
  int sent() const { return sent_.load(); }
  TcpClient& connection() { return conn_; }

 private:
  TcpClient conn_;
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::thread thread_;
};

// One UDP and one new-connection TCP query, each answered correctly within `limit`.
void check_others_answered(const Endpoint& ep, milliseconds limit, std::uint16_t id) {
  auto t0 = Clock::now();
  check_reply(udp_exchange(ep, make_query(id, "4.3.2.1.bl.example", kA), limit), answer_a(id, {"127.0.0.2"}));
  CHECK(Clock::now() - t0 < limit);
  t0 = Clock::now();
  const std::uint16_t id2 = static_cast<std::uint16_t>(id + 1);
  check_reply(tcp_exchange(ep, make_query(id2, "4.3.2.1.bl.example", kTXT), limit),
              answer_txt(id2, {"\"Listed 1.2.3.4\""}));
  CHECK(Clock::now() - t0 < limit);
}

std::string big_data() {
  std::string d = kDefaultData;
  for (int i = 0; i < 30; ++i)
    d += "8.8.8.8 :2:" + std::string(198, 'y') + (i < 10 ? "0" : "") + std::to_string(i) + "\n";
  return d;
}

}  // namespace

TEST_CASE("tcp: queries over one connection") {
  ServerProcess server;
  const Endpoint ep = server.endpoint();
  check_reply(tcp_exchange(ep, make_query(1, "4.3.2.1.bl.example", kA)), answer_a(1, {"127.0.0.2"}, 1));

  TcpClient c;
  REQUIRE(c.connect(ep));
  REQUIRE(c.send(framed(make_query(2, "4.3.2.1.bl.example", kTXT))));
  check_reply(c.read_message(), answer_txt(2, {"\"Listed 1.2.3.4\""}));
  REQUIRE(c.send(framed(make_query(3, "5.3.2.1.bl.example", kA))));
  check_reply(c.read_message(), nxdomain(3));
  REQUIRE(c.send(framed(make_query(4, "1.1.168.192.bl.example", kA))));
  check_reply(c.read_message(), answer_a(4, {"127.0.0.3"}));
  CHECK(server.stop() == 0);
}

TEST_CASE("tcp: pipelined queries in one write are answered in order") {
  ServerProcess server;
  TcpClient c;
  REQUIRE(c.connect(server.endpoint()));
  Bytes all;
  for (std::uint16_t i = 0; i < 40; ++i) {
    const Bytes f =
        framed(make_query(static_cast<std::uint16_t>(100 + i),
                          i % 2 == 0 ? "4.3.2.1.bl.example" : "5.3.2.1.bl.example", i % 3 == 0 ? kTXT : kA));
    all.insert(all.end(), f.begin(), f.end());
  }
  REQUIRE(c.send(all));
  for (std::uint16_t i = 0; i < 40; ++i) {
    INFO("answer " << i);
    std::optional<Bytes> r = c.read_message();
    const bool listed = i % 2 == 0;
    Expect e;
    e.id = static_cast<std::uint16_t>(100 + i);
    if (!listed) {
      e.rcode = LDNS_RCODE_NXDOMAIN;
      e.soa_authority = true;
    } else if (i % 3 == 0) {
      e.txt = {"\"Listed 1.2.3.4\""};
    } else {
      e.a = {"127.0.0.2"};
    }
    check_reply(r, e);
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("tcp: queries split into single bytes are reassembled") {
  ServerProcess server;
  TcpClient c;
  REQUIRE(c.connect(server.endpoint()));
  Bytes two = framed(make_query(7, "4.3.2.1.bl.example", kTXT));
  const Bytes second = framed(make_query(8, "1.1.168.192.bl.example", kA));
  two.insert(two.end(), second.begin(), second.end());
  for (std::uint8_t b : two) {  // TCP_NODELAY: each byte is its own segment
    REQUIRE(c.send(Bytes{b}));
    std::this_thread::sleep_for(milliseconds(3));
  }
  check_reply(c.read_message(), answer_txt(7, {"\"Listed 1.2.3.4\""}));
  check_reply(c.read_message(), answer_a(8, {"127.0.0.3"}));
  CHECK(server.stop() == 0);
}

TEST_CASE("tcp: a client sending one byte per second delays nobody") {
  ServerProcess server(with_args({"--workers", "1"}));  // one loop: the slow client shares it
  const Endpoint ep = server.endpoint();
  Trickler slow(ep, milliseconds(1000));
  const auto end = Clock::now() + milliseconds(2500);
  std::uint16_t id = 1000;
  int rounds = 0;
  while (Clock::now() < end) {
    check_others_answered(ep, milliseconds(500), id);
    id = static_cast<std::uint16_t>(id + 2);
    ++rounds;
    std::this_thread::sleep_for(milliseconds(50));
  }
  CHECK(rounds >= 10);
  CHECK(slow.sent() >= 2);
  CHECK(server.stop() == 0);
}

TEST_CASE("tcp: 500 idle connections and a trickling client do not lock out UDP or new TCP clients") {
  raise_fd_limit();
  ServerProcess server(with_args({"--workers", "2"}));
  const Endpoint ep = server.endpoint();
  std::vector<TcpClient> idle(500);
  for (std::size_t i = 0; i < idle.size(); ++i) {
    INFO("connection " << i);
    REQUIRE(idle[i].connect(ep));
  }
  Trickler slow(ep, milliseconds(1000));
  const auto t0 = Clock::now();
  for (std::uint16_t i = 0; i < 20; ++i)
    check_others_answered(ep, milliseconds(1000), static_cast<std::uint16_t>(2000 + 2 * i));
  CHECK(Clock::now() - t0 < milliseconds(5000));
  // The idle connections are still served (500 is below the cap of 1024 per worker).
  REQUIRE(idle[0].send(framed(make_query(3000, "4.3.2.1.bl.example", kA))));
  check_reply(idle[0].read_message(), answer_a(3000, {"127.0.0.2"}));
  REQUIRE(idle[499].send(framed(make_query(3001, "4.3.2.1.bl.example", kA))));
  check_reply(idle[499].read_message(), answer_a(3001, {"127.0.0.2"}));
  CHECK(server.stop() == 0);
}

TEST_CASE("tcp: at the connection cap the least recently active connection makes room") {
  ServerProcess server(with_args({"--workers", "1", "--tcp-max-conns", "8"}));
  const Endpoint ep = server.endpoint();
  std::vector<TcpClient> conns(8);
  for (std::uint16_t i = 0; i < 8; ++i) {
    REQUIRE(conns[i].connect(ep));
    REQUIRE(conns[i].send(framed(make_query(i, "4.3.2.1.bl.example", kA))));
    check_reply(conns[i].read_message(), answer_a(i, {"127.0.0.2"}));  // activity in order 0..7
  }
  // conns[0] was active least recently: a 9th client gets in, conns[0] is closed.
  check_reply(tcp_exchange(ep, make_query(100, "4.3.2.1.bl.example", kA)), answer_a(100, {"127.0.0.2"}));
  CHECK(conns[0].wait_closed(milliseconds(2000)));
  // A recently active connection still works.
  REQUIRE(conns[7].send(framed(make_query(107, "4.3.2.1.bl.example", kA))));
  check_reply(conns[7].read_message(), answer_a(107, {"127.0.0.2"}));
  // Many idle connections can never lock out a new client.
  std::vector<TcpClient> flood(30);
  for (auto& f : flood) REQUIRE(f.connect(ep));
  check_reply(tcp_exchange(ep, make_query(200, "4.3.2.1.bl.example", kTXT)),
              answer_txt(200, {"\"Listed 1.2.3.4\""}));
  REQUIRE(server.stop() == 0);
  CHECK(server.output().find("evicted=0 ") == std::string::npos);
}

TEST_CASE("tcp: the idle timeout counts from the last complete query") {
  ServerProcess server(with_args({"--workers", "1", "--tcp-idle-timeout", "1"}));
  const Endpoint ep = server.endpoint();
  const auto t0 = Clock::now();
  TcpClient idle;
  REQUIRE(idle.connect(ep));
  Trickler slow(ep, milliseconds(200));  // bytes keep coming, but never a whole query in time
  TcpClient busy;
  REQUIRE(busy.connect(ep));
  std::uint16_t id = 1;
  bool idle_closed = false;
  bool slow_closed = false;
  // For 3 s the busy client asks every 300 ms and stays open; the others are closed.
  while (Clock::now() - t0 < milliseconds(3000)) {
    REQUIRE(busy.send(framed(make_query(id, "4.3.2.1.bl.example", kA))));
    check_reply(busy.read_message(), answer_a(id, {"127.0.0.2"}));
    ++id;
    if (!idle_closed && idle.wait_closed(milliseconds(0))) {
      idle_closed = true;
      CHECK(Clock::now() - t0 >= milliseconds(900));
    }
    if (!slow_closed && slow.connection().wait_closed(milliseconds(0))) {
      slow_closed = true;
      CHECK(Clock::now() - t0 >= milliseconds(900));
    }
    std::this_thread::sleep_for(milliseconds(300));
  }
  CHECK(idle_closed);
  CHECK(slow_closed);
  CHECK(id > 5);
  REQUIRE(server.stop() == 0);
  CHECK(server.output().find("idle_closed=0 ") == std::string::npos);
}

TEST_CASE("tcp: a frame of length 0 or above the limit ends the connection after earlier answers") {
  ServerProcess server;
  const Endpoint ep = server.endpoint();
  for (const std::uint16_t bad_len : {std::uint16_t{0}, std::uint16_t{3000}, std::uint16_t{65535}}) {
    INFO("length " << bad_len);
    TcpClient c;
    REQUIRE(c.connect(ep));
    Bytes data = framed(make_query(1, "4.3.2.1.bl.example", kA));
    data.push_back(static_cast<std::uint8_t>(bad_len >> 8));
    data.push_back(static_cast<std::uint8_t>(bad_len));
    data.resize(data.size() + 16, 0);
    REQUIRE(c.send(data));
    check_reply(c.read_message(), answer_a(1, {"127.0.0.2"}));
    CHECK(c.wait_closed(milliseconds(2000)));
  }
  {  // a malformed message (answer() drops it) ends the connection too
    TcpClient c;
    REQUIRE(c.connect(ep));
    REQUIRE(c.send(framed(Bytes{1, 2, 3})));
    CHECK(c.wait_closed(milliseconds(2000)));
  }
  {  // EOF after pipelined queries: every answer still arrives
    TcpClient c;
    REQUIRE(c.connect(ep));
    Bytes data = framed(make_query(5, "4.3.2.1.bl.example", kA));
    const Bytes more = framed(make_query(6, "5.3.2.1.bl.example", kA));
    data.insert(data.end(), more.begin(), more.end());
    REQUIRE(c.send(data));
    ::shutdown(c.fd(), SHUT_WR);
    check_reply(c.read_message(), answer_a(5, {"127.0.0.2"}));
    check_reply(c.read_message(), nxdomain(6));
    CHECK(c.wait_closed(milliseconds(2000)));
  }
  check_others_answered(ep, milliseconds(1000), 50);
  CHECK(server.stop() == 0);
}

TEST_CASE(
    "tcp: a client that does not read is paused without delaying others and then gets every answer in "
    "order") {
  ServerOptions options = with_args({"--workers", "1"});
  options.data = big_data();
  ServerProcess server(options);
  const Endpoint ep = server.endpoint();
  TcpClient greedy;
  REQUIRE(greedy.connect(ep, milliseconds(2000), 4096));
  constexpr std::uint16_t kQueries = 1000;  // about 6.4 MB of answers
  Bytes all;
  for (std::uint16_t i = 0; i < kQueries; ++i) {
    const Bytes f = framed(make_query(i, "8.8.8.8.bl.example", kTXT));
    all.insert(all.end(), f.begin(), f.end());
  }
  REQUIRE(greedy.send(all, milliseconds(5000)));
  std::this_thread::sleep_for(milliseconds(300));
  for (std::uint16_t i = 0; i < 5; ++i)
    check_others_answered(ep, milliseconds(500), static_cast<std::uint16_t>(5000 + 2 * i));
  for (std::uint16_t i = 0; i < kQueries; ++i) {
    std::optional<Bytes> r = greedy.read_message(milliseconds(5000));
    INFO("answer " << i);
    REQUIRE(r.has_value());
    Packet p = parse(*r);
    REQUIRE(p != nullptr);
    REQUIRE(ldns_pkt_id(p.get()) == i);
    REQUIRE(ldns_pkt_ancount(p.get()) == 30);
  }
  REQUIRE(server.stop() == 0);
  CHECK(server.output().find("blocked=0 ") == std::string::npos);  // reading was paused
}

}  // namespace fastrbl::test
