#pragma once
// Daemon: going to the background the way rbldnsd does (compat §2.7), and the pidfile.
//
// detach() forks. The parent waits on a pipe and exits 0 when the child reports a
// successful start with ready(), or 1 when the child ends without doing so (any fatal
// start-up error). The child calls setsid() and carries on; its messages go to syslog
// (ident "fastrbld", LOG_PID, facility daemon) and, until ready(), also to the
// terminal. ready() sends the byte, closes the pipe and points stdin/stdout/stderr at
// /dev/null. Without detach() (-n) nothing changes: messages go to stdout/stderr.
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
  core::Status detach();
  /// Child: start-up succeeded. No-op when detach() was not called.
  void ready();

 private:
  int ready_fd_ = -1;
};

/// Writes "<pid>\n" (mode 0644) to `path`. Error text: "unable to write pidfile: <reason>".
core::Status write_pidfile(const std::string& path);

}  // namespace fastrbl::dnsd
