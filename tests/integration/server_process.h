#pragma once
// The real fastrbld binary as a child process, for the integration tests.
//
// ServerProcess writes the data file into a fresh temporary directory (mode 0777), starts
// FASTRBL_BINARY_DIR/dnsd/fastrbld with `-n -b 127.0.0.1/0` (or the given addresses),
// `-u nobody` when the test runs as root and names no -u itself, and the zone spec, and
// reads its stdout until the "started" line, learning the ports from the "listening on"
// lines. Every wait is bounded. The destructor kills the server by PID (SIGKILL) if it is
// still running, reaps it and removes the directory, so a failing test never leaves a
// server behind. run_fastrbld() runs the binary to completion for start-up error tests
// and -d, run_program() any other program (the installed rbldnsd).
// Thread safety: one object per test thread.

#include "dns_client.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace fastrbl::test {

/// The small rbldnsd ip4set used by most tests (zone bl.example).
extern const char* const kDefaultData;

struct ServerOptions {
  std::vector<std::string> args;                     // extra options, before -b
  std::vector<std::string> binds = {"127.0.0.1/0"};  // one -b each
  std::string data = kDefaultData;                   // contents of data.txt
  std::string zone = "bl.example:ip4set:data.txt";   // relative to the temporary dir (-w)
  bool foreground = true;                            // -n; false: daemon mode with -p
  bool forks = true;             // without -n: the starting process forks and exits (false: Type=notify)
  bool auto_user = true;         // as root, add -u nobody unless args has -u
  std::vector<std::string> env;  // added to the environment ("NAME=value")
  std::vector<int> pass_fds;     // inherited as 3, 4, ... with LISTEN_FDS/LISTEN_PID
  std::vector<std::string> more_zones;                     // zone specs after `zone`
  std::vector<std::pair<std::string, std::string>> files;  // more files: (name, contents)
  /// Another server binary with rbldnsd's command line (e.g. /usr/sbin/rbldnsd for
  /// differential tests); empty: fastrbld.
  std::string program;
  std::vector<std::string> fifos;  // named pipes to create (mkfifo, mode 0666)
  /// fastrbld serves through its default LMDB store ($STATE_DIRECTORY, set to a directory
  /// in the temporary one); false: --no-db is added unless `args` has --db or --no-db.
  bool default_store = false;
};

/// Default options plus extra command-line options.
inline ServerOptions with_args(std::vector<std::string> args) {
  ServerOptions o;
  o.args = std::move(args);
  return o;
}

class ServerProcess {
 public:
  /// Starts the server; REQUIREs a successful start within a bounded time.
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// The actual port of the first address of `family` (AF_INET / AF_INET6).
  std::uint16_t port(int family = 2 /* AF_INET */) const;
  Endpoint endpoint(int family = 2 /* AF_INET */) const { return loopback(family, port(family)); }
  pid_t pid() const { return pid_; }
  /// Sends `signum` (SIGTERM by default), then waits (bounded); the exit status, or -1
  /// (timeout, or ended by a signal).
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(15000),
           int signum = 15 /* SIGTERM */);
  /// Everything the server wrote to stdout and stderr so far (after stop(): all of it).
  std::string output() const { return out_ + err_; }
  /// What it wrote to stdout, and to stderr, so far.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  /// Reads the server's output until `text` has appeared `count` times in stdout and
  /// stderr together, or `timeout` passed; returns whether it did.
  bool wait_for(const std::string& text, std::size_t count = 1,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));
  /// How many times `text` appears in the output read so far.
  std::size_t count(const std::string& text) const;
  const std::string& dir() const { return dir_; }
  /// The "listening on" texts, in order.
  const std::vector<std::string>& listening() const { return listening_; }

 private:
  void start(const ServerOptions& options);
  void cleanup();
  void drain(std::chrono::milliseconds timeout);

  std::string dir_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::vector<std::string> listening_;
};

struct RunResult {
  int exit_code = -1;  // -1: did not end in time (killed)
  std::string out;
  std::string err;
};

/// Runs fastrbld with `args` in `cwd` until it exits (at most `timeout`), with `env` added
/// to its environment and `pass_fds` inherited as in ServerOptions. Without --db or
/// --no-db in `args` it uses its default store: $STATE_DIRECTORY is `cwd`/fastrbl-state.
RunResult run_fastrbld(const std::vector<std::string>& args, const std::string& cwd,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(15000),
                       const std::vector<std::string>& env = {}, const std::vector<int>& pass_fds = {});

/// Runs the program at `path` with `args` in `cwd` until it exits (at most `timeout`).
RunResult run_program(const std::string& path, const std::vector<std::string>& args, const std::string& cwd,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(15000),
                      const std::vector<std::string>& env = {}, const std::vector<int>& pass_fds = {});

/// A fresh temporary directory (removed by the caller with remove_dir()).
std::string make_temp_dir();
void remove_dir(const std::string& dir);
void write_file(const std::string& path, const std::string& contents);

}  // namespace fastrbl::test
