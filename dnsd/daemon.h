#pragma once
// Daemon: going to the background the way rbldnsd does (compat §2.7), and the pidfile.
//
// detach() forks. The parent waits on a pipe and exits 0 when the child reports a
// successful start with ready(), or 1 when the child ends without doing so (any fatal
// start-up error). The child calls setsid() and carries on; its messages go to syslog
// (ident "fastrbld", LOG_PID, the -F facility) and, until ready(), also to the
// terminal. ready() sends the byte, closes the pipe and points stdin/stdout/stderr at
// /dev/null. use_syslog() is the same without the fork (a systemd Type=notify service,
// whose started process must stay the service's main process). Without either (-n)
// nothing changes: messages go to stdout/stderr.
// Thread safety: call detach() before any thread exists (it forks) and ready() from the
// main thread.

#include "core/status.h"

#include <string>

namespace fastrbl::dnsd {

class Daemon {
 public:
  Daemon() = default;
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Forks; returns in the child only (the parent exits). Errors: fork/pipe failures.
  /// `facility`: a LOG_* value for syslog.
  core::Status detach(int facility);
  /// Logs to syslog (and to the terminal until ready()) without forking.
  core::Status use_syslog(int facility);
  /// Start-up succeeded: tells the parent (after detach()), stops writing to the
  /// terminal. No-op when neither detach() nor use_syslog() was called.
  void ready();

 private:
  int ready_fd_ = -1;
  bool syslog_ = false;
};

/// Writes "<pid>\n" (mode 0644) to `path`. Error text: "unable to write pidfile: <reason>".
core::Status write_pidfile(const std::string& path);

}  // namespace fastrbl::dnsd
