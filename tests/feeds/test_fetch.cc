// Fetching over http (feeds/fetch.h) and URL feeds in FeedStore::import(), against a tiny
// HTTP/1.0 server on 127.0.0.1 that this test runs on a thread: bodies, ETag and
// Last-Modified with conditional GETs (304), errors, timeouts, and the fallback file.

#include "feeds/feed_store.h"
#include "feeds/fetch.h"
#include "support/temp_dir.h"
#include "zones/store.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using fastrbl::testing::TempDir;
namespace feeds = fastrbl::feeds;

namespace {

// One request as the server saw it: the request line and the header block.
struct Seen {
  std::string request_line;
  std::string headers;
};

class TinyHttpServer {
 public:
  // handler(request line, headers) -> the whole response (status line, headers, body);
  // an empty response: hang up without answering after `stall_ms`.
  using Handler = std::function<std::string(const std::string&, const std::string&)>;

  explicit TinyHttpServer(Handler h, int stall_ms = 0) : handler_(std::move(h)), stall_ms_(stall_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(fd_, 8) == 0);
    thread_ = std::thread([this] { run(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string req;
      std::array<char, 4096> buf{};
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        const ssize_t n = ::read(c, buf.data(), buf.size());
        if (n <= 0) break;
        req.append(buf.data(), static_cast<std::size_t>(n));
      }
      const std::size_t eol = req.find("\r\n");
      Seen s{req.substr(0, eol), eol == std::string::npos ? "" : req.substr(eol + 2)};
      {
        std::lock_guard<std::mutex> l(mu_);
        seen_.push_back(s);
      }
      const std::string resp = handler_(s.request_line, s.headers);
      if (resp.empty()) {
        for (int waited = 0; waited < stall_ms_ && !stop_; waited += 10) ::usleep(10000);
      } else {
        std::size_t off = 0;
        while (off < resp.size()) {
          const ssize_t n = ::send(c, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
          if (n <= 0) break;
          off += static_cast<std::size_t>(n);
        }
      }
      ::close(c);
    }
  }

  Handler handler_;
  int stall_ms_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

std::string ok(const std::string& body, const std::string& etag) {
  return "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nETag: " + etag +
         "\r\nLast-Modified: Sun, 22 Nov 2026 10:00:00 GMT\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("fetch: a body, its ETag and Last-Modified, and a conditional GET", "[fetch]") {
  TinyHttpServer server([](const std::string& line, const std::string& headers) -> std::string {
    if (line.rfind("GET /list.txt ", 0) != 0) return "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    if (headers.find("If-None-Match: \"v1\"") != std::string::npos)
      return "HTTP/1.0 304 Not Modified\r\nETag: \"v1\"\r\n\r\n";
    return ok("a.example\nb.example\n", "\"v1\"");
  });
  TempDir dir;
  feeds::FetchRequest req;
  req.url = server.url("/list.txt");
  req.dest = dir.file("body");
  req.timeout = 10;
  auto r = feeds::fetch_url(req);
  REQUIRE(r.is_ok());
  CHECK_FALSE(r.value().not_modified);
  CHECK(r.value().status == 200);
  CHECK(r.value().etag == "\"v1\"");
  CHECK(r.value().last_modified == "Sun, 22 Nov 2026 10:00:00 GMT");
  CHECK(slurp(req.dest) == "a.example\nb.example\n");

  req.etag = "\"v1\"";
  req.last_modified = "Sun, 22 Nov 2026 10:00:00 GMT";
  r = feeds::fetch_url(req);
  REQUIRE(r.is_ok());
  CHECK(r.value().not_modified);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].headers.find("If-None-Match: \"v1\"\r\n") != std::string::npos);
  CHECK(seen[1].headers.find("If-Modified-Since: Sun, 22 Nov 2026 10:00:00 GMT\r\n") != std::string::npos);

  req.url = server.url("/missing");
  req.etag.clear();
  r = feeds::fetch_url(req);
  REQUIRE_FALSE(r.is_ok());
  CHECK(std::string(r.status().message()) == "fetching " + req.url + ": HTTP 404");
}

TEST_CASE("fetch: a server that does not answer times out, a closed port fails", "[fetch]") {
  TinyHttpServer server([](const std::string&, const std::string&) { return std::string(); }, 5000);
  TempDir dir;
  feeds::FetchRequest req;
  req.url = server.url("/slow");
  req.dest = dir.file("body");
  req.timeout = 1;
  const auto start = std::chrono::steady_clock::now();
  auto r = feeds::fetch_url(req);
  REQUIRE_FALSE(r.is_ok());
  CHECK(std::string(r.status().message()).find("timed out") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));

  // A port nobody listens on (bound, never listening).
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/x";
  r = feeds::fetch_url(req);
  ::close(fd);
  REQUIRE_FALSE(r.is_ok());
  CHECK(std::string(r.status().message()).starts_with("fetching " + req.url + ": "));
  // Only http and https.
  req.url = "ftp://127.0.0.1/x";
  CHECK_FALSE(feeds::fetch_url(req).is_ok());
}

TEST_CASE("fetch: a URL feed imports over http, sends its ETag, and falls back to its file", "[fetch]") {
  std::atomic<int> version{1};
  TinyHttpServer server([&version](const std::string&, const std::string& headers) -> std::string {
    const std::string etag = "\"v" + std::to_string(version.load()) + "\"";
    if (headers.find("If-None-Match: " + etag) != std::string::npos)
      return "HTTP/1.0 304 Not Modified\r\nETag: " + etag + "\r\n\r\n";
    if (version == 1) return ok("a.example\nb.example\n", etag);
    if (version == 2) return ok("b.example\nc.example\n", etag);
    return "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
  });
  TempDir dir;
  dir.write("fallback.txt", "b.example\nz.example\n");
  const std::string cfg_path =
      dir.write("feeds.toml",
                "[[dataset]]\nname = \"d\"\ntype = \"dnset\"\nzone = \"d.example\"\noutput = \"d.dnset\"\n"
                "[[feed]]\nname = \"f\"\ndataset = \"d\"\nurl = \"" +
                    server.url("/list.txt") +
                    "\"\nfallback = \"fallback.txt\"\nformat = \"plain\"\ntimeout = 5\nmax_shrink = 1.0\n");
  auto cfg = feeds::load_feed_config(cfg_path);
  REQUIRE(cfg.is_ok());
  auto store = fastrbl::zones::Store::open({dir.file("db")});
  REQUIRE(store.is_ok());
  auto fs = feeds::FeedStore::open(store.value(), cfg.value());
  REQUIRE(fs.is_ok());
  auto keys = [&] {
    std::vector<std::string> out;
    const auto all = fs.value()->entries("d");
    for (const auto& e : all.value()) out.push_back(e.key);
    return out;
  };
  auto r = fs.value()->import("f", 1000);
  REQUIRE(r.is_ok());
  CHECK(r.value().source_used == server.url("/list.txt"));
  CHECK(r.value().diff.added.size() == 2);
  CHECK(keys() == std::vector<std::string>{"a.example", "b.example"});
  auto meta = fs.value()->feed_meta("f");
  REQUIRE(meta.is_ok());
  CHECK(meta.value()->etag == "\"v1\"");

  // Unchanged on the server: a conditional GET, 304, everything kept.
  r = fs.value()->import("f", 2000);
  REQUIRE(r.is_ok());
  CHECK(r.value().unchanged_source);
  CHECK(r.value().diff.kept == 2);
  CHECK(r.value().diff.added.empty());
  CHECK(r.value().diff.removed.empty());
  CHECK(server.seen().back().headers.find("If-None-Match: \"v1\"") != std::string::npos);
  CHECK(fs.value()->entries("d").value().at(0).from.at(0).last_seen == 2000);

  // Changed: the new body is imported.
  version = 2;
  r = fs.value()->import("f", 3000);
  REQUIRE(r.is_ok());
  CHECK_FALSE(r.value().unchanged_source);
  CHECK(r.value().diff.added == std::vector<std::string>{"d c.example"});
  CHECK(r.value().diff.removed == std::vector<std::string>{"d a.example"});
  CHECK(keys() == std::vector<std::string>{"b.example", "c.example"});

  // The server fails: the fallback file is read, and the report says why.
  version = 3;
  r = fs.value()->import("f", 4000);
  REQUIRE(r.is_ok());
  CHECK(r.value().source_used == dir.file("fallback.txt"));
  REQUIRE_FALSE(r.value().diagnostics.empty());
  CHECK(r.value().diagnostics[0] == "fetching " + server.url("/list.txt") +
                                        ": HTTP 500; reading the fallback " + dir.file("fallback.txt"));
  CHECK(keys() == std::vector<std::string>{"b.example", "z.example"});

  // --offline never fetches.
  const std::size_t requests = server.seen().size();
  feeds::ImportOptions offline;
  offline.offline = true;
  r = fs.value()->import("f", 5000, offline);
  REQUIRE(r.is_ok());
  CHECK(server.seen().size() == requests);
  CHECK(r.value().source_used == dir.file("fallback.txt"));
}
