#include "server_process.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <stdlib.h>
#include <string_view>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fastrbl::test {

const char* const kDefaultData =
    "$SOA 3600 ns1.bl.example. hostmaster.bl.example. 1 1h 15m 1w 5m\n"
    "$NS 3600 ns1.bl.example.\n"
    ":127.0.0.2:Listed $\n"
    "1.2.3.4\n"
    "10.0.0.0/8\n"
    "!10.1.0.0/16\n"
    "192.168.1.0/24 :3:Range $ here\n";

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

std::string binary() { return std::string(FASTRBL_BINARY_DIR) + "/dnsd/fastrbld"; }

// fork + exec with stdout and stderr on pipes (non-blocking read ends). `program` replaces
// fastrbld (e.g. /usr/sbin/rbldnsd); `env` is added to the environment; `pass_fds` become
// descriptors 3, 4, ... of the child, announced with LISTEN_FDS and LISTEN_PID (the
// child's own pid) as systemd's socket activation does.
pid_t spawn(const std::vector<std::string>& args, const std::string& cwd, int* out_fd, int* err_fd,
            const std::vector<std::string>& env = {}, const std::vector<int>& pass_fds = {},
            const std::string& program = {}) {
  int out[2];
  int err[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  const std::string bin = program.empty() ? binary() : program;
  std::vector<std::string> all = {bin};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  // fastrbld (run_fastrbld() names it, ServerProcess does not) or fastrblctl: the programs
  // whose default store is $STATE_DIRECTORY.
  const bool uses_store =
      bin == binary() || std::string_view(bin).substr(bin.rfind('/') + 1) == std::string_view("fastrblctl");
  auto overridden = [&env](std::string_view v) {
    for (const std::string& e : env)
      if (v.substr(0, v.find('=') + 1) == std::string_view(e).substr(0, e.find('=') + 1)) return true;
    return false;
  };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (v.rfind("LISTEN_", 0) != 0 && v.rfind("NOTIFY_SOCKET=", 0) != 0 && !overridden(v) &&
        !(uses_store && v.rfind("STATE_DIRECTORY=", 0) == 0))
      env_strings.emplace_back(v);
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  // The default LMDB store of fastrbld (without --db or --no-db) and fastrblctl (without
  // --db) lives in the working directory (a test's temporary one), never in
  // /var/lib/fastrbl or a home directory: tests run as root. Created writable by anyone: a
  // server started as root serves as another user.
  if (uses_store && !overridden("STATE_DIRECTORY=") && !cwd.empty()) {
    const std::string state = std::filesystem::absolute(cwd).string() + "/fastrbl-state";
    ::mkdir(state.c_str(), 0777);
    ::chmod(state.c_str(), 0777);
    env_strings.push_back("STATE_DIRECTORY=" + state);
  }
  if (!pass_fds.empty()) {
    env_strings.push_back("LISTEN_FDS=" + std::to_string(pass_fds.size()));
    env_strings.push_back("LISTEN_PID=" + std::string(20, ' '));  // the child writes its pid here
  }
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* listen_pid = pass_fds.empty() ? nullptr : envp[envp.size() - 2] + std::strlen("LISTEN_PID=");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    if (listen_pid != nullptr) {
      // First move every passed descriptor above the target range, then into place.
      std::array<int, 16> moved{};
      for (std::size_t i = 0; i < pass_fds.size() && i < moved.size(); ++i)
        moved[i] = ::fcntl(pass_fds[i], F_DUPFD, 100);
      for (std::size_t i = 0; i < pass_fds.size() && i < moved.size(); ++i)
        ::dup2(moved[i], 3 + static_cast<int>(i));  // dup2 clears FD_CLOEXEC
      char digits[20];
      int n = 0;
      for (long v = ::getpid(); v > 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
      for (int i = 0; i < n; ++i) listen_pid[i] = digits[n - 1 - i];
      listen_pid[n] = '\0';
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  *out_fd = out[0];
  *err_fd = err[0];
  return pid;
}

// Reads what is available from fd into s; returns false on EOF.
bool read_some(int fd, std::string* s) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      s->append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

// Polls both pipes until `done` says so, both reach EOF, or the deadline.
template <class Done>
void pump(int* out_fd, int* err_fd, std::string* out, std::string* err, Clock::time_point deadline,
          Done done) {
  while (!done() && (*out_fd >= 0 || *err_fd >= 0)) {
    pollfd p[2] = {{*out_fd, POLLIN, 0}, {*err_fd, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return;
    const int r = ::poll(p, 2, static_cast<int>(std::min<long long>(left, 50)));
    if (r < 0 && errno != EINTR) return;
    if (*out_fd >= 0 && !read_some(*out_fd, out)) {
      ::close(*out_fd);
      *out_fd = -1;
    }
    if (*err_fd >= 0 && !read_some(*err_fd, err)) {
      ::close(*err_fd);
      *err_fd = -1;
    }
  }
}

// waitpid with a deadline; the exit status, -1 for a signal, -2 when still running.
int wait_exit(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(Millis(5));
  }
}

std::vector<std::string> listening_lines(const std::string& out) {
  std::vector<std::string> v;
  std::istringstream in(out);
  std::string line;
  const std::string key = ": listening on ";  // after "fastrbld" (or another program's name)
  while (std::getline(in, line)) {
    const std::size_t at = line.find(key);
    if (at != std::string::npos && line.find(' ') > at) v.push_back(line.substr(at + key.size()));
  }
  return v;
}

}  // namespace

std::string make_temp_dir() {
  char tmpl[] = "/tmp/fastrbl-it-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  REQUIRE(d != nullptr);
  REQUIRE(::chmod(d, 0755) == 0);  // readable by the user a root-started server becomes
  return d;
}

void remove_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream f(path, std::ios::binary);
  f << contents;
  REQUIRE(f.good());
}

ServerProcess::ServerProcess(ServerOptions options) {
  try {
    start(options);
  } catch (...) {  // a failed REQUIRE: no destructor runs, so clean up here
    cleanup();
    throw;
  }
}

void ServerProcess::start(const ServerOptions& options) {
  // Become the reaper of orphans, so that a daemonized server is our child again.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  dir_ = make_temp_dir();
  write_file(dir_ + "/data.txt", options.data);
  for (const auto& [name, contents] : options.files) write_file(dir_ + "/" + name, contents);
  // Writable by anyone: a server started as root works as another user (-u) and writes
  // its -s/-l files here.
  ::chmod(dir_.c_str(), 0777);
  for (const std::string& name : options.fifos) REQUIRE(::mkfifo((dir_ + "/" + name).c_str(), 0666) == 0);
  std::vector<std::string> args;
  if (options.foreground) {
    args.emplace_back("-n");
  } else {
    args.emplace_back("-p");
    args.push_back(dir_ + "/fastrbld.pid");
  }
  args.emplace_back("-w");
  args.push_back(dir_);
  // As root (CI), fastrbld refuses to keep root and would become user rbldns: name one.
  if (options.auto_user && ::getuid() == 0 &&
      std::find(options.args.begin(), options.args.end(), "-u") == options.args.end()) {
    args.emplace_back("-u");
    args.emplace_back("nobody");
  }
  args.insert(args.end(), options.args.begin(), options.args.end());
  // The text path unless the test asks for a store (--db, or the default one).
  if (options.program.empty() && !options.default_store &&
      std::find(options.args.begin(), options.args.end(), "--db") == options.args.end() &&
      std::find(options.args.begin(), options.args.end(), "--no-db") == options.args.end())
    args.emplace_back("--no-db");
  for (const std::string& b : options.binds) {
    args.emplace_back("-b");
    args.push_back(b);
  }
  args.push_back(options.zone);
  args.insert(args.end(), options.more_zones.begin(), options.more_zones.end());
  const pid_t first = spawn(args, dir_, &out_fd_, &err_fd_, options.env, options.pass_fds, options.program);
  pid_ = first;
  const auto deadline = Clock::now() + Millis(20000);
  if (options.foreground || !options.forks) {
    pump(&out_fd_, &err_fd_, &out_, &err_, deadline,
         [&] { return out_.find(" started (") != std::string::npos; });
  } else {
    // The starting process exits 0 once the daemon is up; the daemon's stdio then is
    // /dev/null, so both pipes reach EOF.
    pump(&out_fd_, &err_fd_, &out_, &err_, deadline, [] { return false; });
    const int code = wait_exit(first, deadline);
    if (code != -2) pid_ = -1;  // reaped: never signal that pid again
    INFO(output());
    REQUIRE(code == 0);
    std::ifstream pf(dir_ + "/fastrbld.pid");
    long daemon_pid = 0;
    pf >> daemon_pid;
    REQUIRE(daemon_pid > 0);
    REQUIRE(daemon_pid != first);
    pid_ = static_cast<pid_t>(daemon_pid);
  }
  INFO(output());
  REQUIRE(out_.find(" started (") != std::string::npos);
  listening_ = listening_lines(out_);
  REQUIRE(!listening_.empty());
}

ServerProcess::~ServerProcess() { cleanup(); }

void ServerProcess::cleanup() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  reaped_ = true;
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
  out_fd_ = err_fd_ = -1;
  if (!dir_.empty()) remove_dir(dir_);
  dir_.clear();
}

std::uint16_t ServerProcess::port(int family) const {
  for (const std::string& l : listening_) {
    const std::size_t slash = l.rfind('/');
    const bool v6 = l.substr(0, slash).find(':') != std::string::npos;
    if (v6 == (family == AF_INET6)) return static_cast<std::uint16_t>(std::stoi(l.substr(slash + 1)));
  }
  FAIL("no listening address of family " << family);
  return 0;
}

void ServerProcess::drain(Millis timeout) {
  pump(&out_fd_, &err_fd_, &out_, &err_, Clock::now() + timeout, [] { return false; });
}

std::size_t ServerProcess::count(const std::string& text) const {
  std::size_t n = 0;
  for (const std::string* s : {&out_, &err_})
    for (std::size_t p = s->find(text); p != std::string::npos; p = s->find(text, p + text.size())) ++n;
  return n;
}

bool ServerProcess::wait_for(const std::string& text, std::size_t count, Millis timeout) {
  pump(&out_fd_, &err_fd_, &out_, &err_, Clock::now() + timeout, [&] { return this->count(text) >= count; });
  return this->count(text) >= count;
}

int ServerProcess::stop(Millis timeout, int signum) {
  if (reaped_) return -1;
  ::kill(pid_, signum);
  const auto deadline = Clock::now() + timeout;
  int code = -2;
  while (code == -2 && Clock::now() < deadline) {
    drain(Millis(20));
    code = wait_exit(pid_, Clock::now());
  }
  if (code == -2) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    code = -1;
  }
  reaped_ = true;
  drain(Millis(500));
  return code;
}

RunResult run_fastrbld(const std::vector<std::string>& args, const std::string& cwd, Millis timeout,
                       const std::vector<std::string>& env, const std::vector<int>& pass_fds) {
  return run_program(binary(), args, cwd, timeout, env, pass_fds);
}

RunResult run_program(const std::string& path, const std::vector<std::string>& args, const std::string& cwd,
                      Millis timeout, const std::vector<std::string>& env, const std::vector<int>& pass_fds) {
  RunResult r;
  int out_fd = -1;
  int err_fd = -1;
  const pid_t pid = spawn(args, cwd, &out_fd, &err_fd, env, pass_fds, path);
  const auto deadline = Clock::now() + timeout;
  pump(&out_fd, &err_fd, &r.out, &r.err, deadline, [] { return false; });
  r.exit_code = wait_exit(pid, deadline);
  if (r.exit_code == -2) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = -1;
  }
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0) ::close(err_fd);
  return r;
}

}  // namespace fastrbl::test
