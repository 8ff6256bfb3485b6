// reload_under_load: replaces a big ip4set dataset several times with rename(2) while a
// client queries the server at a fixed rate, and checks that no query goes unanswered and
// that every reply comes wholly from one generation of the data (issue 4, "done when").
//
// Generation g of the data lists the same addresses, all with the value
// `:127.0.0.g:Generation g`; every query is an ANY query for a listed address, so every
// reply must hold exactly one A and one TXT record and both must name the same g, which
// must be a generation already written. The tool writes all generations first, starts
// fastrbld (-n -c 0, loopback, ephemeral port), then for each replacement renames the
// next generation over the data file, sends SIGHUP and waits for the "zones reloaded"
// line, while a sender thread paces queries at --qps and a receiver thread checks the
// replies. A query is lost when its reply has not come within --timeout-ms. It prints
// the figures (rates, reload times, RSS) and exits 0 only when nothing was lost or mixed.
//
// Without --db fastrbld parses the text (--no-db). With --db it serves from an LMDB store
// in the temporary directory (reloads are
// then compiled by fastrblctl out of process, dnsd/store_reload.h); --dnset N adds a
// second, unchanging zone (dn.example, a dnset of N names) to the command line. RSS is
// sampled every 20 ms from /proc/PID/status: "steady" is the last sample before the first
// SIGHUP, "peak in reloads" the highest sample between a SIGHUP and its "zones reloaded"
// line (VmRSS, and its private RssAnon and file-backed RssFile parts, each its own max).
//
// With --rbldnsd PATH the same data, load and replacements are served by rbldnsd instead
// (Debian's: `rbldnsd -n [-u nobody] -b 127.0.0.1/PORT -w DIR ZONES`, PORT a free one), to
// put its reload beside fastrbld's: rbldnsd reloads on its only thread, so queries wait in
// the socket buffer (or are dropped) while it parses.
//
// Used by ctest with small figures (tests/integration/CMakeLists.txt), by
// bench/reload/run.sh with the full ones (1M entries, 10 replacements, >= 20k q/s); with
// --db and --dnset for the store's reload figures (bench/README.md, "LMDB store").

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

struct Options {
  std::string fastrbld;
  unsigned long entries = 100000;
  int generations = 3;  // replacements after the first load
  unsigned qps = 2000;
  unsigned workers = 2;
  int settle_ms = 1000;  // querying between replacements
  int timeout_ms = 2000;
  std::string tmp = "/tmp";
  bool no_reload = false;   // baseline: the same load and timing without replacing anything
  bool db = false;          // serve from an LMDB store (--db DIR/db)
  unsigned long dnset = 0;  // names of a second, unchanging dnset zone (0: none)
  unsigned values = 1;      // distinct values per generation (TXT "Generation g list k")
  std::string rbldnsd;      // serve with this rbldnsd instead of fastrbld
};

// --scatter: the listed addresses are spread pseudo-randomly over the whole IPv4 space (i
// times an odd constant, mod 2^32: all distinct), so that no image format can compress
// runs of them (as real lists: mostly isolated /32s).
bool g_scatter = false;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "reload_under_load: %s\n", msg.c_str());
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--fastrbld")
      o.fastrbld = next();
    else if (a == "--entries")
      o.entries = std::stoul(next());
    else if (a == "--generations")
      o.generations = std::stoi(next());
    else if (a == "--qps")
      o.qps = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--workers")
      o.workers = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--settle-ms")
      o.settle_ms = std::stoi(next());
    else if (a == "--timeout-ms")
      o.timeout_ms = std::stoi(next());
    else if (a == "--tmp")
      o.tmp = next();
    else if (a == "--no-reload")
      o.no_reload = true;
    else if (a == "--db")
      o.db = true;
    else if (a == "--values")
      o.values = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--scatter")
      g_scatter = true;
    else if (a == "--dnset")
      o.dnset = std::stoul(next());
    else if (a == "--rbldnsd")
      o.rbldnsd = next();
    else
      die("unknown argument " + a);
  }
  if (o.fastrbld.empty() == o.rbldnsd.empty()) die("one of --fastrbld PATH and --rbldnsd PATH is required");
  if (!o.rbldnsd.empty() && o.db) die("--db is for fastrbld");
  if (o.generations < 1 || o.generations > 250) die("--generations must be 1..250");
  if (o.entries < 1 || o.entries > 16000000) die("--entries must be 1..16000000");
  return o;
}

// The i-th listed address: spread over 10.0.0.0/8 and beyond, all distinct.
std::uint32_t address(unsigned long i) {
  if (g_scatter) return static_cast<std::uint32_t>(i * 0x9E3779B1ul) + 0x0A000000u;
  return 0x0A000000u + static_cast<std::uint32_t>(i * 7u);
}

void write_generation(const std::string& path, int g, unsigned long entries, unsigned values) {
  std::string buf;
  buf.reserve(entries * 16 + 128);
  buf += "$SOA 60 ns.bl.example. hm.bl.example. 0 1h 1h 1d 1h\n$NS 60 ns.bl.example.\n";
  buf += ":127.0.0." + std::to_string(g) + ":Generation " + std::to_string(g) + "\n";
  std::array<char, 32> line{};
  for (unsigned long i = 0; i < entries; ++i) {
    const std::uint32_t a = address(i);
    const int n = std::snprintf(line.data(), line.size(), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
                                (a >> 8) & 255, a & 255);
    buf.append(line.data(), static_cast<std::size_t>(n));
    // More than one value: each its own A+TXT of this generation ("Generation g list k").
    if (values > 1)
      buf += " :127.0.0." + std::to_string(g) + ":Generation " + std::to_string(g) + " list " +
             std::to_string(i % values);
    buf += '\n';
  }
  std::ofstream f(path, std::ios::binary);
  f << buf;
  if (!f.good()) die("cannot write " + path);
}

// A dnset of `names` names, each 20-some characters.
void write_dnset(const std::string& path, unsigned long names) {
  std::string buf;
  buf.reserve(names * 24 + 64);
  buf += ":127.0.0.3:listed\n";
  for (unsigned long i = 0; i < names; ++i) buf += "host" + std::to_string(i * 13) + ".example.net\n";
  std::ofstream f(path, std::ios::binary);
  f << buf;
  if (!f.good()) die("cannot write " + path);
}

// The query for address i, type ANY, with `id`.
std::size_t make_query(std::uint8_t* p, std::uint16_t id, std::uint32_t a) {
  std::size_t n = 0;
  p[n++] = static_cast<std::uint8_t>(id >> 8);
  p[n++] = static_cast<std::uint8_t>(id);
  const std::array<std::uint8_t, 10> rest = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  std::memcpy(p + n, rest.data(), rest.size());
  n += rest.size();
  for (int shift = 0; shift < 32; shift += 8) {
    const std::string l = std::to_string((a >> shift) & 255);
    p[n++] = static_cast<std::uint8_t>(l.size());
    std::memcpy(p + n, l.data(), l.size());
    n += l.size();
  }
  for (const char* l : {"bl", "example"}) {
    const std::size_t len = std::strlen(l);
    p[n++] = static_cast<std::uint8_t>(len);
    std::memcpy(p + n, l, len);
    n += len;
  }
  p[n++] = 0;
  const std::array<std::uint8_t, 4> q = {0, 255, 0, 1};  // ANY IN
  std::memcpy(p + n, q.data(), q.size());
  return n + q.size();
}

// Skips a (possibly compressed) name; 0 on malformed input.
std::size_t skip_name(const std::uint8_t* p, std::size_t len, std::size_t pos) {
  while (pos < len) {
    const std::uint8_t l = p[pos];
    if (l == 0) return pos + 1;
    if ((l & 0xC0) == 0xC0) return pos + 2 <= len ? pos + 2 : 0;
    pos += 1u + l;
  }
  return 0;
}

// The generation a reply comes from, or -1 when it is not one coherent positive answer.
int reply_generation(const std::uint8_t* p, std::size_t len, std::size_t question_len) {
  if (len < question_len || len < 12) return -1;
  if ((p[3] & 0x0F) != 0) return -1;  // rcode
  const unsigned ancount = (unsigned{p[6]} << 8) | p[7];
  if (ancount != 2) return -1;
  std::size_t pos = question_len;
  int a_gen = -1;
  int txt_gen = -1;
  for (unsigned i = 0; i < ancount; ++i) {
    pos = skip_name(p, len, pos);
    if (pos == 0 || pos + 10 > len) return -1;
    const unsigned type = (unsigned{p[pos]} << 8) | p[pos + 1];
    const std::size_t rdlen = (std::size_t{p[pos + 8]} << 8) | p[pos + 9];
    pos += 10;
    if (pos + rdlen > len) return -1;
    if (type == 1 && rdlen == 4 && p[pos] == 127 && p[pos + 1] == 0 && p[pos + 2] == 0) {
      a_gen = p[pos + 3];
    } else if (type == 16 && rdlen >= 1) {
      const std::string txt(reinterpret_cast<const char*>(p + pos + 1),
                            std::min<std::size_t>(p[pos], rdlen - 1));
      if (txt.rfind("Generation ", 0) != 0) return -1;
      txt_gen = std::atoi(txt.c_str() + 11);
    } else {
      return -1;
    }
    pos += rdlen;
  }
  return a_gen == txt_gen ? a_gen : -1;
}

long rss_kb(pid_t pid, const char* field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + key.size());
  return -1;
}

// The host's UDP RcvbufErrors counter (/proc/net/snmp): datagrams dropped because a
// socket's receive buffer was full, on the whole host.
long udp_rcvbuf_errors() {
  std::ifstream f("/proc/net/snmp");
  std::string header, values;
  while (std::getline(f, header)) {
    if (header.rfind("Udp: ", 0) != 0) continue;
    std::getline(f, values);
    std::istringstream hs(header), vs(values);
    std::string name, value;
    while (hs >> name && vs >> value)
      if (name == "RcvbufErrors") return std::atol(value.c_str());
  }
  return 0;
}

struct ServerOutput {
  int fd = -1;
  std::string text;
  // Reads what is there, waiting at most `ms`.
  bool eof = false;  // the server closed its output (it has exited)
  void pump(int ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return;
    std::array<char, 4096> buf{};
    for (;;) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n == 0) eof = true;
      if (n <= 0) return;
      text.append(buf.data(), static_cast<std::size_t>(n));
    }
  }
  std::size_t count(const std::string& s) const {
    std::size_t n = 0;
    for (std::size_t p = text.find(s); p != std::string::npos; p = text.find(s, p + 1)) ++n;
    return n;
  }
  bool wait_count(const std::string& s, std::size_t n, int timeout_ms) {
    const auto end = Clock::now() + Millis(timeout_ms);
    while (count(s) < n && !eof && Clock::now() < end) pump(50);
    return count(s) >= n;
  }
};

struct Slot {
  std::atomic<std::int64_t> sent_ns{0};  // 0: free
  std::atomic<std::uint32_t> addr{0};
};

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_args(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  std::string tmpl = opt.tmp + "/reload-under-load-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) die("mkdtemp failed");
  const std::string dir = tmpl;
  // A server started as root reads it as nobody (and, with --db, creates the store there).
  ::chmod(dir.c_str(), opt.db ? 0777 : 0755);
  const int last_gen = 1 + opt.generations;
  std::printf("writing %d generations of %lu entries in %s\n", last_gen, opt.entries, dir.c_str());
  std::fflush(stdout);
  // Every generation has the same size: give each its own mtime (in the past), or a check
  // could not tell them apart (rbldnsd's rule: mtime in whole seconds and size).
  const std::time_t base = std::time(nullptr) - 1000;
  for (int g = 1; g <= last_gen; ++g) {
    const std::string path = dir + "/gen" + std::to_string(g);
    write_generation(path, g, opt.entries, opt.values);
    std::array<timeval, 2> tv{};
    tv[0].tv_sec = tv[1].tv_sec = base + g;
    if (::utimes(path.c_str(), tv.data()) != 0) die("utimes failed");
  }
  std::filesystem::rename(dir + "/gen1", dir + "/data.txt");
  if (opt.dnset > 0) write_dnset(dir + "/dn.txt", opt.dnset);

  // Start the server.
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) die("pipe failed");
  std::vector<std::string> args = {opt.fastrbld,
                                   "-n",
                                   "-c",
                                   "0",
                                   "-w",
                                   dir,
                                   "-b",
                                   "127.0.0.1/0",
                                   "--workers",
                                   std::to_string(opt.workers),
                                   "bl.example:ip4set:data.txt"};
  if (!opt.rbldnsd.empty()) {
    // rbldnsd does not report the port of "/0": take a free one.
    const int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (probe < 0 || ::bind(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(probe, reinterpret_cast<sockaddr*>(&sa), &sl) != 0)
      die("cannot find a free port");
    ::close(probe);
    args = {opt.rbldnsd,
            "-n",
            "-w",
            dir,
            "-b",
            "127.0.0.1/" + std::to_string(ntohs(sa.sin_port)),
            "bl.example:ip4set:data.txt"};
  }
  if (opt.dnset > 0) args.emplace_back("dn.example:dnset:dn.txt");
  if (opt.db) args.insert(args.begin() + 1, {"--db", "db"});
  if (!opt.db && opt.rbldnsd.empty()) args.insert(args.begin() + 1, "--no-db");  // the text path
  if (::getuid() == 0) args.insert(args.begin() + 1, {"-u", "nobody"});          // the server keeps no root
  std::vector<char*> argv_c;
  for (std::string& a : args) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(out_pipe[1], STDERR_FILENO);
    ::execv(argv_c[0], argv_c.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ServerOutput out;
  out.fd = out_pipe[0];
  ::fcntl(out.fd, F_SETFL, O_NONBLOCK);
  auto fail_server = [&](const std::string& why) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::fprintf(stderr, "%s\n", out.text.c_str());
    std::filesystem::remove_all(dir);
    die(why);
  };
  if (!out.wait_count(" started (", 1, 600000)) fail_server("the server did not start");
  const std::size_t at = out.text.find("listening on 127.0.0.1/");
  if (at == std::string::npos) fail_server("no listening line");
  const int port = std::atoi(out.text.c_str() + at + std::strlen("listening on 127.0.0.1/"));
  const long rss_start = rss_kb(pid, "VmRSS");

  // The client.
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int rcv = 8 << 20;
  ::setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) die("connect failed");

  std::vector<Slot> slots(65536);
  std::atomic<bool> sending{true};
  std::atomic<bool> receiving{true};
  std::atomic<std::uint64_t> sent{0}, answered{0}, mixed{0}, lost{0}, late{0}, stray{0};
  std::atomic<int> max_gen_seen{0};
  std::array<std::atomic<std::uint64_t>, 256> per_gen{};
  std::atomic<int> written_gen{1};
  std::atomic<long> rss_peak{rss_start};
  // Sampled every 20 ms: the last values outside a reload (steady) and the highest inside one.
  std::atomic<bool> in_reload{false};
  std::atomic<bool> reloaded{false};  // a reload has started
  std::atomic<long> steady_rss{rss_start}, steady_anon{rss_kb(pid, "RssAnon")},
      steady_file{rss_kb(pid, "RssFile")};
  std::atomic<long> reload_rss{0}, reload_anon{0}, reload_file{0};
  std::mutex lost_mu;
  std::vector<std::int64_t> lost_at;  // when each lost query was sent (ns since t0)
  std::vector<std::pair<std::int64_t, std::int64_t>> reload_windows;  // SIGHUP .. log line
  const long rcvbuf_errors_start = udp_rcvbuf_errors();
  const auto t0 = Clock::now();
  auto now_ns = [&] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count() + 1;
  };
  const std::int64_t timeout_ns = std::int64_t{opt.timeout_ms} * 1000000;

  std::thread receiver([&] {
    std::array<std::uint8_t, 4096> buf{};
    while (receiving.load()) {
      pollfd p{sock, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      for (;;) {
        const ssize_t n = ::recv(sock, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        if (n < 12) {
          ++stray;
          continue;
        }
        const std::uint16_t id = static_cast<std::uint16_t>((buf[0] << 8) | buf[1]);
        Slot& s = slots[id];
        const std::int64_t sent_at = s.sent_ns.exchange(0);
        if (sent_at == 0) {
          ++late;  // already counted lost, or a duplicate
          continue;
        }
        std::array<std::uint8_t, 512> q{};
        const std::size_t qlen = make_query(q.data(), id, s.addr.load());
        const auto len = static_cast<std::size_t>(n);
        // The reply must echo our question.
        if (len < qlen || std::memcmp(buf.data() + 12, q.data() + 12, qlen - 12) != 0) {
          ++mixed;
          continue;
        }
        const int g = reply_generation(buf.data(), len, qlen);
        if (g < 1 || g > written_gen.load()) {
          ++mixed;
          continue;
        }
        ++per_gen[static_cast<std::size_t>(g)];
        int m = max_gen_seen.load();
        while (g > m && !max_gen_seen.compare_exchange_weak(m, g)) {
        }
        ++answered;
      }
    }
  });

  std::thread sender([&] {
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<unsigned long> pick(0, opt.entries - 1);
    std::uint16_t id = 0;
    std::array<std::uint8_t, 512> q{};
    const double interval_ns = 1e9 / opt.qps;
    const auto start = Clock::now();
    std::uint64_t n = 0;
    while (sending.load()) {
      const auto due =
          start + std::chrono::nanoseconds(static_cast<std::int64_t>(interval_ns * static_cast<double>(n)));
      if (due > Clock::now()) {
        std::this_thread::sleep_until(std::min(due, Clock::now() + Millis(1)));
        continue;
      }
      Slot& s = slots[id];
      const std::int64_t t = now_ns();
      std::int64_t prev = s.sent_ns.load();
      if (prev != 0) {
        if (t - prev < timeout_ns) {  // every id is in flight: wait for replies
          std::this_thread::sleep_for(Millis(1));
          continue;
        }
        if (s.sent_ns.compare_exchange_strong(prev, 0)) {
          ++lost;
          const std::lock_guard<std::mutex> lock(lost_mu);
          lost_at.push_back(prev);
        }
      }
      const std::uint32_t a = address(pick(rng));
      s.addr.store(a);
      const std::size_t len = make_query(q.data(), id, a);
      s.sent_ns.store(t);
      if (::send(sock, q.data(), len, 0) < 0) {
        s.sent_ns.store(0);
        if (errno != EAGAIN && errno != ENOBUFS) die(std::string("send: ") + std::strerror(errno));
        ++lost;
      } else {
        ++sent;
      }
      ++id;
      ++n;
    }
  });

  std::thread sampler([&] {
    while (receiving.load()) {
      const long r = rss_kb(pid, "VmRSS");
      const long anon = rss_kb(pid, "RssAnon");
      const long file = rss_kb(pid, "RssFile");
      long p = rss_peak.load();
      if (r > p) rss_peak.store(r);
      if (in_reload.load()) {
        reload_rss.store(std::max(reload_rss.load(), r));
        reload_anon.store(std::max(reload_anon.load(), anon));
        reload_file.store(std::max(reload_file.load(), file));
      } else if (!reloaded.load()) {  // before the first reload
        steady_rss.store(r);
        steady_anon.store(anon);
        steady_file.store(file);
      }
      std::this_thread::sleep_for(Millis(20));
    }
  });

  // Replacements.
  std::vector<double> reload_s;
  std::vector<double> reload_wall_s;
  bool ok = true;
  std::this_thread::sleep_for(Millis(opt.settle_ms));
  for (int g = 2; g <= last_gen && ok && opt.no_reload; ++g) {
    std::this_thread::sleep_for(Millis(100 + opt.settle_ms));  // about a reload and a settle
  }
  for (int g = 2; g <= last_gen && ok && !opt.no_reload; ++g) {
    const std::size_t before = out.count("zones reloaded, time ");
    written_gen.store(g);
    std::filesystem::rename(dir + "/gen" + std::to_string(g), dir + "/data.txt");
    const auto t_start = Clock::now();
    const std::int64_t hup_ns = now_ns();
    reloaded.store(true);
    in_reload.store(true);
    ::kill(pid, SIGHUP);
    if (!out.wait_count("zones reloaded, time ", before + 1, 600000)) {
      ok = false;
      break;
    }
    std::this_thread::sleep_for(Millis(40));  // a last sample or two with the new snapshot
    in_reload.store(false);
    reload_wall_s.push_back(std::chrono::duration<double>(Clock::now() - t_start).count());
    reload_windows.emplace_back(hup_ns, now_ns());
    std::size_t p = 0;
    for (std::size_t k = 0; k <= before; ++k) p = out.text.find("zones reloaded, time ", p) + 1;
    reload_s.push_back(std::atof(out.text.c_str() + p - 1 + std::strlen("zones reloaded, time ")));
    std::this_thread::sleep_for(Millis(opt.settle_ms));
    out.pump(0);
  }
  sending.store(false);
  sender.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  // Wait for stragglers, then count what never came back.
  std::this_thread::sleep_for(Millis(opt.timeout_ms));
  receiving.store(false);
  receiver.join();
  sampler.join();
  for (Slot& s : slots) {
    const std::int64_t t = s.sent_ns.load();
    if (t == 0) continue;
    ++lost;
    lost_at.push_back(t);
  }
  const long rcvbuf_errors = udp_rcvbuf_errors() - rcvbuf_errors_start;
  // Losses near a reload (from 0.5 s before the SIGHUP to 0.5 s after the log line) and
  // elsewhere: tells a reload effect from a busy machine.
  std::size_t near_reload = 0;
  for (std::int64_t t : lost_at)
    for (const auto& [a, b] : reload_windows)
      if (t >= a - 500000000 && t <= b + 500000000) {
        ++near_reload;
        break;
      }
  const long hwm = rss_kb(pid, "VmHWM");

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.pump(200);
  ::close(sock);
  std::filesystem::remove_all(dir);

  std::printf("entries=%lu replacements=%d target_qps=%u workers=%u\n", opt.entries, opt.generations, opt.qps,
              opt.workers);
  std::printf("queries: sent=%" PRIu64 " answered=%" PRIu64 " lost=%" PRIu64 " mixed_or_wrong=%" PRIu64
              " late=%" PRIu64 " stray=%" PRIu64 " over %.1f s (%.0f q/s sent, %.0f q/s answered)\n",
              sent.load(), answered.load(), lost.load(), mixed.load(), late.load(), stray.load(), elapsed,
              static_cast<double>(sent.load()) / elapsed, static_cast<double>(answered.load()) / elapsed);
  std::printf("lost near a reload: %zu, elsewhere: %zu; UDP receive-buffer drops (whole host): %ld\n",
              near_reload, lost_at.size() - near_reload, rcvbuf_errors);
  if (!lost_at.empty()) {
    std::map<std::int64_t, int> per_second;
    for (std::int64_t t : lost_at) ++per_second[t / 1000000000];
    std::printf("lost by second since the start:");
    for (const auto& [sec, n] : per_second) std::printf(" %" PRId64 ":%d", sec, n);
    std::printf("\n");
  }
  std::printf("answers per generation:");
  for (int g = 1; g <= last_gen; ++g)
    std::printf(" %d:%" PRIu64, g, per_gen[static_cast<std::size_t>(g)].load());
  std::printf("\nreload (server's elapsed, s):");
  for (double r : reload_s) std::printf(" %.2f", r);
  std::printf("\nreload (SIGHUP at, s since the start):");
  for (const auto& [a, b] : reload_windows) std::printf(" %.2f", static_cast<double>(a) / 1e9);
  std::printf("\nreload (SIGHUP to log line, s):");
  for (double r : reload_wall_s) std::printf(" %.2f", r);
  std::printf("\nrss: after start %ld kB, peak sampled %ld kB, VmHWM %ld kB\n", rss_start, rss_peak.load(),
              hwm);
  if (!opt.no_reload && steady_rss.load() > 0)
    std::printf(
        "rss steady (before the first reload): %ld kB (RssAnon %ld, RssFile %ld); peak in reloads: %ld kB "
        "(%.2fx; RssAnon %ld, RssFile %ld)\n",
        steady_rss.load(), steady_anon.load(), steady_file.load(), reload_rss.load(),
        static_cast<double>(reload_rss.load()) / static_cast<double>(steady_rss.load()), reload_anon.load(),
        reload_file.load());
  const int expect_gen = opt.no_reload ? 1 : last_gen;
  const int expect_reloads = opt.no_reload ? 0 : opt.generations;
  const bool pass = ok && lost.load() == 0 && mixed.load() == 0 && max_gen_seen.load() == expect_gen &&
                    static_cast<int>(reload_s.size()) == expect_reloads && WIFEXITED(status) &&
                    WEXITSTATUS(status) == 0;
  if (!pass) {
    std::printf("server output:\n%s\n", out.text.c_str());
  } else if (opt.db || !opt.rbldnsd.empty()) {  // what the store (or rbldnsd) did
    std::istringstream lines(out.text);
    for (std::string line; std::getline(lines, line);)
      if (line.find("LMDB store") != std::string::npos || line.find("compile: ") != std::string::npos ||
          line.find("zones reloaded") != std::string::npos)
        std::printf("%s\n", line.c_str());
  }
  std::printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
