// Integration tests over UDP: the real fastrbld on loopback, port 0, every response
// parsed by ldns.

#include "dns_client.h"
#include "expect.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <thread>

namespace fastrbl::test {
namespace {

constexpr std::uint16_t kA = 1;
constexpr std::uint16_t kTXT = 16;

// The server's exit summary: "udp: in=N out=N dropped=N send_dropped=N recvmmsg=N sendmmsg=N".
struct UdpTotals {
  unsigned long long in = 0, out = 0, dropped = 0, send_dropped = 0, recvmmsg = 0, sendmmsg = 0;
};
UdpTotals udp_totals(const std::string& output) {
  UdpTotals t;
  const std::size_t at = output.find("udp: in=");
  REQUIRE(at != std::string::npos);
  REQUIRE(std::sscanf(output.c_str() + at,
                      "udp: in=%llu out=%llu dropped=%llu send_dropped=%llu recvmmsg=%llu sendmmsg=%llu",
                      &t.in, &t.out, &t.dropped, &t.send_dropped, &t.recvmmsg, &t.sendmmsg) == 6);
  return t;
}

// A data file with large answers: 12 TXT records of ~200 bytes for 7.7.7.7 (about 2.6 KB:
// more than 512, less than 4096) and 30 for 8.8.8.8 (about 6.4 KB: only TCP has room).
std::string big_data() {
  std::string d = kDefaultData;
  for (int i = 0; i < 12; ++i)
    d += "7.7.7.7 :2:" + std::string(198, 'x') + (i < 10 ? "0" : "") + std::to_string(i) + "\n";
  for (int i = 0; i < 30; ++i)
    d += "8.8.8.8 :2:" + std::string(198, 'y') + (i < 10 ? "0" : "") + std::to_string(i) + "\n";
  return d;
}

}  // namespace

TEST_CASE("udp: A and TXT for listed addresses and NXDOMAIN with SOA or REFUSED otherwise") {
  ServerProcess server;
  const Endpoint ep = server.endpoint();

  Packet p =
      check_reply(udp_exchange(ep, make_query(1, "4.3.2.1.bl.example", kA)), answer_a(1, {"127.0.0.2"}, 1));
  const ldns_rr* a = ldns_rr_list_rr(ldns_pkt_answer(p.get()), 0);
  CHECK(ldns_rr_ttl(a) == 2100);  // -t default 35m
  CHECK(ldns_pkt_aa(p.get()));
  check_reply(udp_exchange(ep, make_query(2, "4.3.2.1.bl.example", kTXT)),
              answer_txt(2, {"\"Listed 1.2.3.4\""}, 1));
  check_reply(udp_exchange(ep, make_query(3, "1.1.168.192.bl.example", kA)), answer_a(3, {"127.0.0.3"}));
  check_reply(udp_exchange(ep, make_query(4, "1.1.168.192.BL.Example", kTXT)),
              answer_txt(4, {"\"Range 192.168.1.1 here\""}));
  check_reply(udp_exchange(ep, make_query(5, "4.3.2.10.bl.example", kTXT)),
              answer_txt(5, {"\"Listed 10.2.3.4\""}));
  check_reply(udp_exchange(ep, make_query(6, "3.2.1.10.bl.example", kA)),  // excluded by !10.1.0.0/16
              nxdomain(6));
  check_reply(udp_exchange(ep, make_query(7, "5.3.2.1.bl.example", kA)), nxdomain(7));
  check_reply(udp_exchange(ep, make_query(8, "4.3.2.1.example.com", kA)), rcode_only(8, LDNS_RCODE_REFUSED));
  CHECK(server.stop() == 0);
}

TEST_CASE("udp: queued datagrams are read with recvmmsg and answered with sendmmsg in batches") {
  ServerProcess server(with_args({"--workers", "1"}));
  const Endpoint ep = server.endpoint();
  UdpClient client(AF_INET);
  // Stopped, the server cannot read: the 100 queries wait in its one socket's queue.
  REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (std::uint16_t i = 0; i < 100; ++i) client.send(ep, make_query(i, "4.3.2.1.bl.example", kA));
  REQUIRE(::kill(server.pid(), SIGCONT) == 0);
  int answered = 0;
  while (answered < 100) {
    std::optional<Bytes> r = client.receive(std::chrono::milliseconds(3000));
    if (!r) break;
    Packet p = parse(*r);
    REQUIRE(p != nullptr);
    CHECK(rdata_of(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_A) == std::vector<std::string>{"127.0.0.2"});
    ++answered;
  }
  CHECK(answered == 100);
  REQUIRE(server.stop() == 0);
  const UdpTotals t = udp_totals(server.output());
  INFO(server.output());
  CHECK(t.in == 100);
  CHECK(t.out == 100);
  // Up to 64 datagrams per recvmmsg (udp.h): 2 batches here, and one sendmmsg each.
  CHECK(t.recvmmsg <= 8);
  CHECK(t.sendmmsg <= 8);
}

TEST_CASE("udp: 100000 random and mutated packets then a correct answer and a clean exit") {
  ServerProcess server(with_args({"--workers", "2"}));
  const Endpoint ep = server.endpoint();
  UdpClient client(AF_INET);  // sends the packets; the replies to them pile up unread
  UdpClient probe(AF_INET);   // the liveness queries, on their own socket
  std::mt19937 rng(20241122);
  auto uniform = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  const std::vector<Bytes> seeds = {
      make_query(1, "4.3.2.1.bl.example", kA),
      make_query(2, "4.3.2.1.bl.example", kTXT, 4096),
      make_query(3, "1.1.168.192.bl.example", 255),
      make_query(4, "bl.example", 6),
      make_query(5, "bl.example", 2, 1232),
      make_query(6, "version.bind", kTXT, -1, 3),
      make_query(7, "3.2.1.10.bl.example", kA),
      make_query(8, "a.very.long.name.that.is.not.in.any.zone.example.org", kA),
      make_query(9, "", kA),
  };
  constexpr int kPackets = 100000;
  constexpr int kSyncEvery = 100;  // bursts that fit in the socket queue: the server sees them all
  std::uint16_t sync_id = 40000;
  for (int i = 0; i < kPackets; ++i) {
    Bytes pkt;
    if (uniform(0, 9) < 7) {  // a mutated valid query
      pkt = seeds[uniform(0, seeds.size() - 1)];
      const std::size_t ops = uniform(1, 4);
      for (std::size_t k = 0; k < ops; ++k) {
        switch (uniform(0, 6)) {
          case 0:  // flip a bit
            if (!pkt.empty())
              pkt[uniform(0, pkt.size() - 1)] ^= static_cast<std::uint8_t>(1U << uniform(0, 7));
            break;
          case 1:  // set a byte
            if (!pkt.empty()) pkt[uniform(0, pkt.size() - 1)] = static_cast<std::uint8_t>(uniform(0, 255));
            break;
          case 2:  // truncate
            pkt.resize(uniform(0, pkt.size()));
            break;
          case 3:  // trailing garbage
            for (std::size_t n = uniform(1, 40); n > 0; --n)
              pkt.push_back(static_cast<std::uint8_t>(uniform(0, 255)));
            break;
          case 4:  // header counts
            if (pkt.size() >= 12) pkt[uniform(4, 11)] = static_cast<std::uint8_t>(uniform(0, 255));
            break;
          case 5:  // a compression pointer inside the question
            if (pkt.size() > 14) {
              const std::size_t at = uniform(12, pkt.size() - 2);
              pkt[at] = static_cast<std::uint8_t>(0xc0 | uniform(0, 0x3f));
              pkt[at + 1] = static_cast<std::uint8_t>(uniform(0, 255));
            }
            break;
          default:  // a label length
            if (pkt.size() > 12)
              pkt[12 + uniform(0, pkt.size() - 13)] = static_cast<std::uint8_t>(uniform(0, 70));
            break;
        }
      }
    } else {  // pure random, sometimes with a plausible header
      pkt.resize(uniform(0, 600));
      for (auto& b : pkt) b = static_cast<std::uint8_t>(uniform(0, 255));
      if (pkt.size() >= 12 && uniform(0, 1) == 0) {
        pkt[2] = 0x01;
        pkt[3] = 0;
        pkt[4] = 0;
        pkt[5] = 1;
      }
    }
    client.send(ep, pkt);
    if (i % kSyncEvery == kSyncEvery - 1) {
      // Pace the sender and check the server is alive: a valid query must be answered.
      const std::uint16_t id = sync_id++;
      std::optional<Bytes> r;
      for (int attempt = 0; attempt < 5 && !r; ++attempt) {  // a burst may fill the server's queue
        probe.send(ep, make_query(id, "4.3.2.1.bl.example", kA));
        r = probe.receive_id(id, std::chrono::milliseconds(1000));
      }
      INFO("after " << i + 1 << " packets");
      REQUIRE(r.has_value());
    }
  }
  check_reply(udp_exchange(ep, make_query(777, "4.3.2.1.bl.example", kTXT)),
              answer_txt(777, {"\"Listed 1.2.3.4\""}, 1));
  const int code = server.stop();
  INFO(server.output());
  CHECK(code == 0);  // a sanitizer report would have made it non-zero
  const UdpTotals t = udp_totals(server.output());
  CHECK(t.in >= kPackets / 2);  // most of the fuzz reached the server (bursts may overflow under load)
  CHECK(server.output().find("runtime error") == std::string::npos);
  CHECK(server.output().find("AddressSanitizer") == std::string::npos);
}

TEST_CASE("edns: a large answer is truncated without EDNS and complete with EDNS or over TCP") {
  ServerOptions options;
  options.data = big_data();
  ServerProcess server(options);
  const Endpoint ep = server.endpoint();

  // 7.7.7.7: about 2.6 KB of TXT.
  {
    std::optional<Bytes> r = udp_exchange(ep, make_query(2, "7.7.7.7.bl.example", kTXT));
    REQUIRE(r);
    CHECK(r->size() <= 512);
    Packet p = parse(*r);
    REQUIRE(p);
    CHECK(ldns_pkt_tc(p.get()));
    CHECK(ldns_pkt_ancount(p.get()) < 12);
    CHECK_FALSE(ldns_pkt_edns(p.get()));
  }
  {
    std::optional<Bytes> r = udp_exchange(ep, make_query(3, "7.7.7.7.bl.example", kTXT, 4096));
    REQUIRE(r);
    CHECK(r->size() > 512);
    CHECK(r->size() <= 4096);
    Packet p = parse(*r);
    REQUIRE(p);
    CHECK_FALSE(ldns_pkt_tc(p.get()));
    CHECK(ldns_pkt_ancount(p.get()) == 12);
    CHECK(ldns_pkt_edns(p.get()));  // an OPT record in the reply to an EDNS query
  }
  {
    std::optional<Bytes> r = udp_exchange(ep, make_query(4, "7.7.7.7.bl.example", kTXT, 1232));
    REQUIRE(r);
    CHECK(r->size() <= 1232);
    Packet p = parse(*r);
    REQUIRE(p);
    CHECK(ldns_pkt_tc(p.get()));
  }
  // 8.8.8.8: about 6.4 KB, more than any UDP reply may carry.
  {
    std::optional<Bytes> r = udp_exchange(ep, make_query(5, "8.8.8.8.bl.example", kTXT, 4096));
    REQUIRE(r);
    CHECK(r->size() <= 4096);
    Packet p = parse(*r);
    REQUIRE(p);
    CHECK(ldns_pkt_tc(p.get()));
    CHECK(ldns_pkt_ancount(p.get()) < 30);
  }
  for (const bool edns : {false, true}) {
    std::optional<Bytes> r = tcp_exchange(ep, make_query(6, "8.8.8.8.bl.example", kTXT, edns ? 4096 : -1));
    REQUIRE(r);
    CHECK(r->size() > 4096);
    Packet p = parse(*r);
    REQUIRE(p);
    CHECK_FALSE(ldns_pkt_tc(p.get()));
    CHECK(ldns_pkt_ancount(p.get()) == 30);
    std::vector<std::string> txt = rdata_of(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_TXT);
    REQUIRE(txt.size() == 30);
    std::sort(txt.begin(), txt.end());
    CHECK(txt.front() == "\"" + std::string(198, 'y') + "00\"");
    CHECK(txt.back() == "\"" + std::string(198, 'y') + "29\"");
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("ipv6: ::1 over UDP and TCP") {
  if (!ipv6_loopback_available()) {
    WARN("::1 is not available on this host; skipped");
    return;
  }
  ServerOptions options;
  options.binds = {"::1/0", "127.0.0.1/0"};
  ServerProcess server(options);
  REQUIRE(server.listening().size() == 2);
  const Endpoint v6 = server.endpoint(AF_INET6);
  check_reply(udp_exchange(v6, make_query(1, "4.3.2.1.bl.example", kTXT)),
              answer_txt(1, {"\"Listed 1.2.3.4\""}));
  check_reply(tcp_exchange(v6, make_query(2, "1.1.168.192.bl.example", kA)), answer_a(2, {"127.0.0.3"}));
  check_reply(udp_exchange(v6, make_query(3, "9.9.9.9.bl.example", kA)), nxdomain(3));
  const Endpoint v4 = server.endpoint(AF_INET);
  check_reply(udp_exchange(v4, make_query(4, "4.3.2.1.bl.example", kA)), answer_a(4, {"127.0.0.2"}));
  CHECK(server.stop() == 0);
}

}  // namespace fastrbl::test
