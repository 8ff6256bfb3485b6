#pragma once
// systemd integration (compat §2.3, like the Debian rbldnsd build): sd_notify status
// messages and socket activation, through libsystemd.
//
// notify() sends READY=1 / RELOADING=1 / STOPPING=1 (and STATUS=...) when the service
// manager asked for it (NOTIFY_SOCKET set); otherwise it does nothing. under_notify()
// tells main() that it runs as a Type=notify service, where it stays in the foreground
// (systemd tracks the started process) and logs to syslog. inherited_sockets() takes the
// descriptors passed by socket activation (LISTEN_FDS/LISTEN_PID, from fd 3 on) and
// clears those variables so that children do not see them.
// Thread safety: notify() may be called from any thread; inherited_sockets() once, from
// the main thread before threads start.

#include <vector>

namespace fastrbl::dnsd {

/// Sends `state` (e.g. "READY=1") to the service manager; no-op without NOTIFY_SOCKET.
void notify(const char* state) noexcept;

/// True when NOTIFY_SOCKET is set (a Type=notify service).
bool under_notify() noexcept;

/// The socket-activation descriptors (empty when not socket-activated).
std::vector<int> inherited_sockets();

}  // namespace fastrbl::dnsd
