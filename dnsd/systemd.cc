#include "dnsd/systemd.h"

#include <cstdlib>
#include <systemd/sd-daemon.h>

namespace fastrbl::dnsd {

void notify(const char* state) noexcept { ::sd_notify(0, state); }

bool under_notify() noexcept {
  const char* s = std::getenv("NOTIFY_SOCKET");
  return s != nullptr && *s != '\0';
}

std::vector<int> inherited_sockets() {
  std::vector<int> fds;
  const int n = ::sd_listen_fds(1);  // 1: unset LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES
  for (int i = 0; i < n; ++i) fds.push_back(SD_LISTEN_FDS_START + i);
  return fds;
}

}  // namespace fastrbl::dnsd
