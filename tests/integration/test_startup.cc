// Integration tests of start-up and shutdown: fatal errors with rbldnsd's messages,
// address handling, daemon mode with the pidfile, and signals.

#include "dns_client.h"
#include "expect.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <fstream>
#include <netinet/in.h>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fastrbl::test {
namespace {

constexpr std::uint16_t kA = 1;

// A socket of `type` bound (and for TCP listening) on 127.0.0.1 at a kernel-chosen port.
struct Holder {
  int fd = -1;
  std::uint16_t port = 0;
  explicit Holder(int type) {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const Endpoint e = loopback(AF_INET, 0);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.len) == 0);
    if (type == SOCK_STREAM) REQUIRE(::listen(fd, 8) == 0);
    sockaddr_in in{};
    socklen_t len = sizeof in;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&in), &len) == 0);
    port = ntohs(in.sin_port);
  }
  ~Holder() { ::close(fd); }
};

struct Dir {
  std::string path = make_temp_dir();
  Dir() { write_file(path + "/data.txt", kDefaultData); }
  ~Dir() { remove_dir(path); }
};

}  // namespace

TEST_CASE("startup: bind failures and resolver errors are fatal with rbldnsd's messages") {
  Dir dir;
  {
    Holder udp(SOCK_DGRAM);
    const std::string addr = "127.0.0.1/" + std::to_string(udp.port);
    const RunResult r = run_fastrbld({"-n", "-b", addr, "bl.example:ip4set:data.txt"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: unable to bind to " + addr + ": Address already in use\n");
    CHECK(r.out.empty());
  }
  {
    Holder tcp(SOCK_STREAM);
    const std::string addr = "127.0.0.1/" + std::to_string(tcp.port);
    const RunResult r = run_fastrbld({"-n", "-b", addr, "bl.example:ip4set:data.txt"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: unable to bind to " + addr + " (TCP): Address already in use\n");
  }
  {
    const RunResult r =
        run_fastrbld({"-n", "-b", "127.0.0.1/nosuchsvc", "bl.example:ip4set:data.txt"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: 127.0.0.1/nosuchsvc: Servname not supported for ai_socktype\n");
  }
  {
    const RunResult r = run_fastrbld({"-n", "-4", "-b", "::1/0", "bl.example:ip4set:data.txt"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: ::1/0: Address family for hostname not supported\n");
  }
  {
    const RunResult r = run_fastrbld({"-n", "-b", "/5353", "bl.example:ip4set:data.txt"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: missing host part in bind address `/5353'\n");
  }
  {
    const RunResult r = run_fastrbld({"-Z"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: invalid option -- 'Z'\nfastrbld: type `fastrbld -h' for help\n");
  }
  {
    const RunResult r = run_fastrbld({}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("Usage is: fastrbld") != std::string::npos);
  }
}

TEST_CASE("startup: load and -w and -p errors are fatal after the sockets are bound") {
  Dir dir;
  {
    const RunResult r = run_fastrbld({"-n", "-b", "127.0.0.1/0", "bl.example:ip4set:missing.txt"}, dir.path);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("fastrbld: listening on 127.0.0.1/") != std::string::npos);
    CHECK(r.err.rfind("fastrbld: ", 0) == 0);
    CHECK(r.err.find("missing.txt") != std::string::npos);
    CHECK(r.out.find(" started (") == std::string::npos);
  }
  {
    const RunResult r = run_fastrbld(
        {"-n", "-w", "/nonexistent-dir", "-b", "127.0.0.1/0", "bl.example:ip4set:data.txt"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: unable to chdir to /nonexistent-dir: No such file or directory\n");
  }
  {
    const RunResult r = run_fastrbld(
        {"-n", "-p", "/nonexistent-dir/pid", "-b", "127.0.0.1/0", "bl.example:ip4set:data.txt"}, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: unable to write pidfile: No such file or directory\n");
  }
}

TEST_CASE(
    "startup: the same address twice is bound once and port 0 is one port for all workers and both "
    "protocols") {
  ServerOptions options = with_args({"--workers", "3"});
  options.binds = {"127.0.0.1/0", "127.0.0.1/0", "localhost/0"};
  ServerProcess server(options);
  INFO(server.output());
  REQUIRE(server.listening().size() == 1);  // localhost is 127.0.0.1 here, or adds ::1
  CHECK(server.output().find(" started (") != std::string::npos);
  const Endpoint ep = server.endpoint();
  for (std::uint16_t i = 0; i < 30; ++i) {  // spread over the workers' sockets by the kernel
    check_reply(udp_exchange(ep, make_query(i, "4.3.2.1.bl.example", kA)), answer_a(i, {"127.0.0.2"}));
    check_reply(tcp_exchange(ep, make_query(i, "4.3.2.1.bl.example", kA)), answer_a(i, {"127.0.0.2"}));
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("startup: log lines and a clean stop on SIGINT") {
  ServerProcess server;
  const std::string out = server.output();
  CHECK(out.find("fastrbld: listening on 127.0.0.1/" + std::to_string(server.port())) != std::string::npos);
  CHECK(out.find(" started (1 socket(s), 1 zone(s))") != std::string::npos);
  CHECK(server.stop(std::chrono::milliseconds(15000), SIGINT) == 0);
  CHECK(server.output().find("fastrbld: terminating") != std::string::npos);
}

TEST_CASE("daemon: detaches and writes the daemon's pid then serves and exits 0 on SIGTERM") {
  ServerOptions options;
  options.foreground = false;
  ServerProcess server(options);
  std::ifstream pf(server.dir() + "/fastrbld.pid");
  long pid = 0;
  pf >> pid;
  CHECK(pid == server.pid());
  CHECK(::kill(server.pid(), 0) == 0);
  check_reply(udp_exchange(server.endpoint(), make_query(1, "4.3.2.1.bl.example", 16)),
              answer_txt(1, {"\"Listed 1.2.3.4\""}));
  check_reply(tcp_exchange(server.endpoint(), make_query(2, "4.3.2.1.bl.example", kA)),
              answer_a(2, {"127.0.0.2"}));
  CHECK(server.stop() == 0);
}

TEST_CASE("daemon: a failed start makes the starting process exit 1") {
  Dir dir;
  const RunResult r = run_fastrbld({"-b", "127.0.0.1/0", "bl.example:ip4set:missing.txt"}, dir.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.txt") != std::string::npos);
}

}  // namespace fastrbl::test
