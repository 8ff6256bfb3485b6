// Integration tests of the systemd integration: sd_notify messages on a NOTIFY_SOCKET the
// test listens on (READY=1 once serving, STOPPING=1 on SIGTERM; no fork as a Type=notify
// service), and socket activation (LISTEN_FDS: sockets bound by the "service manager",
// here the test, used without any -b).

#include "dns_client.h"
#include "expect.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace fastrbl::test {
namespace {

// A unix datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  NotifySocket() {
    dir_ = make_temp_dir();
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof un.sun_path);
    std::copy(path_.begin(), path_.end(), un.sun_path);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&un), sizeof un) == 0);
    ::chmod(dir_.c_str(), 0777);  // the server sends after dropping root
    ::chmod(path_.c_str(), 0777);
  }
  ~NotifySocket() {
    ::close(fd_);
    remove_dir(dir_);
  }
  const std::string& path() const { return path_; }
  // Messages received until one contains `want` or the time is up.
  std::string wait_for(const std::string& want, Millis timeout = Millis(10000)) {
    std::string all;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (all.find(want) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[1024];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) all.append(buf, static_cast<std::size_t>(n)).append("\n");
    }
    return all;
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

int bound_socket(int type, std::uint16_t port, int family = AF_INET) {
  const int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const Endpoint e = loopback(family, port);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.len) == 0);
  if (type == SOCK_STREAM) REQUIRE(::listen(fd, 16) == 0);
  return fd;
}

std::uint16_t port_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

TEST_CASE("systemd: READY=1 once serving and STOPPING=1 on SIGTERM, with and without -n") {
  for (const bool foreground : {true, false}) {
    INFO("foreground " << foreground);
    NotifySocket notify;
    ServerOptions options;
    options.env = {"NOTIFY_SOCKET=" + notify.path()};
    options.foreground = foreground;
    options.forks = false;
    ServerProcess server(options);
    if (!foreground) {
      // a Type=notify service is not forked: the started process serves and wrote the pidfile
      std::ifstream pf(server.dir() + "/fastrbld.pid");
      long pid = 0;
      pf >> pid;
      CHECK(pid == server.pid());
    }
    CHECK(notify.wait_for("READY=1").find("READY=1") != std::string::npos);
    check_reply(udp_exchange(server.endpoint(), make_query(1, "4.3.2.1.bl.example", 1)),
                answer_a(1, {"127.0.0.2"}));
    CHECK(server.stop() == 0);
    CHECK(notify.wait_for("STOPPING=1").find("STOPPING=1") != std::string::npos);
  }
}

TEST_CASE("systemd: socket activation serves UDP and TCP on the inherited sockets without -b") {
  const int udp = bound_socket(SOCK_DGRAM, 0);
  const std::uint16_t port = port_of(udp);
  const int tcp = bound_socket(SOCK_STREAM, port);
  ServerOptions options = with_args({"--workers", "2"});
  options.binds = {};
  options.pass_fds = {udp, tcp};
  ServerProcess server(options);
  ::close(udp);
  ::close(tcp);
  INFO(server.output());
  REQUIRE(server.listening() == std::vector<std::string>{"127.0.0.1/" + std::to_string(port)});
  const Endpoint ep = loopback(AF_INET, port);
  for (std::uint16_t i = 0; i < 20; ++i) {
    check_reply(udp_exchange(ep, make_query(i, "4.3.2.1.bl.example", 1)), answer_a(i, {"127.0.0.2"}));
    check_reply(tcp_exchange(ep, make_query(i, "4.3.2.1.bl.example", 16)),
                answer_txt(i, {"\"Listed 1.2.3.4\""}));
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("systemd: an inherited socket of another kind is a start-up error") {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const std::string dir = make_temp_dir();
  write_file(dir + "/data.txt", kDefaultData);
  const RunResult r =
      run_fastrbld({"-n", "-u", "nobody", "bl.example:ip4set:data.txt"}, dir, Millis(15000), {}, {fd});
  ::close(fd);
  remove_dir(dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err == "fastrbld: inherited socket 3: not an IPv4 or IPv6 socket\n");
}

TEST_CASE("systemd: without inherited sockets -b stays required") {
  const std::string dir = make_temp_dir();
  const RunResult r = run_fastrbld({"-n", "bl.example:ip4set:data.txt"}, dir, Millis(15000),
                                   {"LISTEN_FDS=1", "LISTEN_PID=1"});
  remove_dir(dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err == "fastrbld: no address to listen on (-b option) specified\n");
}

}  // namespace
}  // namespace fastrbl::test
