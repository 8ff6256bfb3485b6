// fastrbld: the server. Start-up order (rbldnsd's where it has one, compat §2):
// parse the command line -> bind every socket (UDP and TCP) and log "listening on" with
// the actual port -> detach (unless -n) -> pidfile -> chdir (-w) -> load the zones ->
// start the workers -> log "started" -> tell the parent we are up -> serve until
// SIGTERM/SIGINT, with reload checks on SIGHUP and every -c interval. With -q the zones
// are loaded after "started", in the background, while every zone answers SERVFAIL; a
// failed load is then not fatal. Any other start-up error is fatal: "fastrbld:
// <message>" on stderr, exit 1 (a failed load: rbldnsd's "zone loading errors,
// aborting").

#include "core/log.h"
#include "dnsd/config.h"
#include "dnsd/daemon.h"
#include "dnsd/listen.h"
#include "dnsd/query.h"
#include "dnsd/server.h"
#include "loader/load.h"
#include "loader/reload.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <memory>
#include <sys/resource.h>
#include <unistd.h>

namespace {

using fastrbl::core::Status;
namespace dnsd = fastrbl::dnsd;
namespace loader = fastrbl::loader;

int fatal(const Status& s) {
  FASTRBL_LOG_ERROR("%.*s", static_cast<int>(s.message().size()), s.message().data());
  return 1;
}

void write_stdout(const std::string& text) {
  const char* p = text.data();
  std::size_t n = text.size();
  while (n > 0) {
    const ssize_t w = ::write(STDOUT_FILENO, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Every worker holds one UDP and one TCP socket per address plus its connections: allow
// as many descriptors as the hard limit permits.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int run(int argc, char** argv) {
  dnsd::ParseResult parsed = dnsd::parse_command_line(argc, argv);
  write_stdout(parsed.out);
  for (const std::string& e : parsed.errors) FASTRBL_LOG_ERROR("%s", e.c_str());
  if (!parsed.run) return parsed.exit_code;
  const dnsd::Config& config = parsed.config;

  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  dnsd::ListenSet listen;
  Status s = listen.open(config, config.workers);
  if (!s.is_ok()) return fatal(s);
  for (const dnsd::ListenAddress& a : listen.addresses()) FASTRBL_LOG_INFO("listening on %s", a.text.c_str());

  dnsd::Daemon daemon;
  if (!config.foreground) {
    s = daemon.detach();  // the parent exits inside, with the child's verdict
    if (!s.is_ok()) return fatal(s);
  }
  if (!config.pidfile.empty()) {  // relative to the starting directory, as rbldnsd
    s = dnsd::write_pidfile(config.pidfile);
    if (!s.is_ok()) return fatal(s);
  }
  if (!config.workdir.empty() && ::chdir(config.workdir.c_str()) != 0) {
    const int err = errno;
    FASTRBL_LOG_ERROR("unable to chdir to %s: %s", config.workdir.c_str(), std::strerror(err));
    return 1;
  }

  loader::LoadOptions options;
  options.default_ttl = config.ttl.def;
  options.min_ttl = config.ttl.min;
  options.max_ttl = config.ttl.max;
  options.accept_host_bits = config.accept_host_bits;
  options.no_gzip = config.no_decompress;
  auto zone_set = loader::ZoneSet::create(config.zones, options);
  if (!zone_set.is_ok()) return fatal(zone_set.status());
  std::unique_ptr<loader::ZoneSet> zone_specs = std::move(zone_set).value();
  std::shared_ptr<const fastrbl::zones::Snapshot> snapshot;
  if (config.quickstart) {
    snapshot = zone_specs->unloaded_snapshot();  // SERVFAIL until the first load
  } else {
    loader::CheckResult first = zone_specs->check();
    loader::log_zones_reloaded(first);
    if (first.failed > 0) return fatal(Status::error("zone loading errors, aborting"));
    snapshot = std::move(first.snapshot);
  }
  const std::size_t zones = snapshot->zones().size();

  dnsd::Server server(config);
  s = server.init(listen, std::move(snapshot));
  if (!s.is_ok()) return fatal(s);
  s = server.start();
  if (!s.is_ok()) return fatal(s);
  if (server.workers_using_recvmmsg() != config.workers) {
    FASTRBL_LOG_WARN("recvmmsg is not available: UDP is read one datagram at a time");
  }
  FASTRBL_LOG_INFO("%s started (%zu socket(s), %zu zone(s))", dnsd::version_string(),
                   listen.addresses().size(), zones);
  daemon.ready();
  server.enable_reload(std::move(zone_specs));
  if (config.quickstart) server.request_reload();
  return server.run();
}

}  // namespace

int main(int argc, char** argv) {
  fastrbl::core::set_log_program("fastrbld");
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    FASTRBL_LOG_ERROR("%s", e.what());
    return 1;
  }
}
