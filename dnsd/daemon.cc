#include "dnsd/daemon.h"

#include "core/log.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

namespace fastrbl::dnsd {

namespace {

std::atomic<bool> g_console{true};  // also write to the terminal (until ready())

void write_all(int fd, const char* p, std::size_t n) noexcept {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void syslog_sink(core::LogLevel level, const char* message) {
  const int prio = level == core::LogLevel::kError     ? LOG_ERR
                   : level == core::LogLevel::kWarning ? LOG_WARNING
                                                       : LOG_INFO;
  ::syslog(prio, "%s", message);
  if (!g_console.load(std::memory_order_relaxed)) return;
  char line[2200];
  const int m = std::snprintf(line, sizeof line, "%s: %s\n", core::log_program(), message);
  if (m <= 0) return;
  const std::size_t len =
      static_cast<std::size_t>(m) < sizeof line ? static_cast<std::size_t>(m) : sizeof line - 1;
  write_all(level == core::LogLevel::kInfo ? STDOUT_FILENO : STDERR_FILENO, line, len);
}

}  // namespace

Daemon::~Daemon() {
  if (ready_fd_ >= 0) ::close(ready_fd_);
}

core::Status Daemon::use_syslog(int facility) {
  ::openlog(core::log_program(), LOG_PID, facility);
  core::set_log_sink(syslog_sink);
  syslog_ = true;
  return core::Status::ok();
}

core::Status Daemon::detach(int facility) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    const int err = errno;
    return core::Status::error(std::string("pipe: ") + std::strerror(err));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return core::Status::error(std::string("fork: ") + std::strerror(err));
  }
  if (pid > 0) {  // the parent: wait for the child's verdict
    ::close(fds[1]);
    char c = 0;
    ssize_t r;
    do {
      r = ::read(fds[0], &c, 1);
    } while (r < 0 && errno == EINTR);
    std::_Exit(r == 1 && c == 'R' ? 0 : 1);
  }
  ::close(fds[0]);
  ready_fd_ = fds[1];
  ::setsid();
  return use_syslog(facility);
}

void Daemon::ready() {
  if (!syslog_) return;
  g_console.store(false, std::memory_order_relaxed);
  if (ready_fd_ < 0) return;  // no fork: stdout/stderr stay (systemd's journal)
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    if (null_fd > STDERR_FILENO) ::close(null_fd);
  }
  const char c = 'R';
  write_all(ready_fd_, &c, 1);
  ::close(ready_fd_);
  ready_fd_ = -1;
}

core::Status write_pidfile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    return core::Status::error(std::string("unable to write pidfile: ") + std::strerror(err));
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%ld\n", static_cast<long>(::getpid()));
  const ssize_t w = ::write(fd, buf, static_cast<std::size_t>(n));
  if (w != n) {
    const int err = w < 0 ? errno : EIO;
    ::close(fd);
    return core::Status::error(std::string("unable to write pidfile: ") + std::strerror(err));
  }
  if (::close(fd) != 0) {
    const int cerr = errno;
    return core::Status::error(std::string("unable to write pidfile: ") + std::strerror(cerr));
  }
  return core::Status::ok();
}

}  // namespace fastrbl::dnsd
