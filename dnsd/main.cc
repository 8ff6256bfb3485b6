// fastrbld: the server. Start-up order (rbldnsd's where it has one, compat §2):
// parse the command line -> bind every socket (UDP and TCP; plus those inherited by
// systemd socket activation) and log "listening on" with the actual port -> resolve -u
// -> detach (unless -n or a systemd Type=notify service) -> pidfile -> chroot (-r) ->
// chdir (-w) -> drop privileges -> load the zones -> start the workers -> log "started"
// -> tell the parent (and systemd) we are up -> serve until SIGTERM/SIGINT, with reload
// checks on SIGHUP and every -c interval. With -q the zones are loaded after "started",
// in the background, while every zone answers SERVFAIL; a failed load is then not fatal.
// Any other start-up error is fatal: "fastrbld: <message>" on stderr, exit 1 (a failed
// load: rbldnsd's "zone loading errors, aborting").
// With -d (rbldnsd's dump): parse -> chdir (-w) -> load the zones -> print them in BIND
// format on stdout -> exit 0, binding nothing.

#include "core/log.h"
#include "dnsd/config.h"
#include "dnsd/daemon.h"
#include "dnsd/listen.h"
#include "dnsd/privileges.h"
#include "dnsd/query.h"
#include "dnsd/server.h"
#include "dnsd/store_reload.h"
#include "dnsd/systemd.h"
#include "dnsd/update.h"
#include "feeds/feed_config.h"
#include "loader/load.h"
#include "loader/reload.h"
#include "loader/store_load.h"
#include "zones/dump.h"
#include "zones/store.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <malloc.h>
#include <memory>
#include <sys/resource.h>
#include <sys/stat.h>
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

loader::LoadOptions load_options(const dnsd::Config& config) {
  loader::LoadOptions options;
  options.default_ttl = config.ttl.def;
  options.min_ttl = config.ttl.min;
  options.max_ttl = config.ttl.max;
  options.accept_host_bits = config.accept_host_bits;
  options.no_gzip = config.no_decompress;
  return options;
}

bool change_dir(const dnsd::Config& config) {
  if (config.workdir.empty() || ::chdir(config.workdir.c_str()) == 0) return true;
  const int err = errno;
  FASTRBL_LOG_ERROR("unable to chdir to %s: %s", config.workdir.c_str(), std::strerror(err));
  return false;
}

// -d: load as a start would, print every zone, exit. rbldnsd prints no informational
// lines here either.
int dump(const dnsd::Config& config) {
  fastrbl::core::set_log_info(false);  // stdout carries the dump; warnings still go to stderr
  if (!change_dir(config)) return 1;
  auto loaded = loader::load_snapshot(config.zones, load_options(config));
  if (!loaded.is_ok()) return fatal(loaded.status());
  fastrbl::zones::FileDumpSink sink(stdout);
  fastrbl::zones::dump_snapshot(*loaded.value(), std::time(nullptr), dnsd::version_string(), sink);
  const Status s = sink.finish();
  return s.is_ok() ? 0 : fatal(s);
}

// The zones at start. With --db: bring the store up to date (only changed data files are
// parsed, one generation is committed) and serve from its images in place; a store that
// cannot be opened is reported and no snapshot returned: the files are then loaded
// without it (the data is what matters to a start). Reload checks then go through the
// store too (dnsd/store_reload.h): changed files are compiled by fastrblctl, out of
// process, and the new generation is opened and published.
struct FromStore {
  std::shared_ptr<const fastrbl::zones::Snapshot> snapshot;  // null: the store could not be opened
  std::shared_ptr<fastrbl::zones::Store> store;
  std::uint64_t generation = 0;
};

// `fall_back` (the default state directory, not --db): when the compile fails the files
// are loaded without the store (a data error then fails that load with the text path's
// messages; an LMDB error, a full disk, is reported and does not stop the start).
fastrbl::core::Result<FromStore> load_from_store(const dnsd::Config& config,
                                                 std::shared_ptr<fastrbl::zones::Store> opened,
                                                 bool fall_back) {
  const loader::LoadOptions options = load_options(config);
  // One environment per process: the feed store's, when --feeds opened the same directory.
  auto store = opened ? fastrbl::core::Result<std::shared_ptr<fastrbl::zones::Store>>(std::move(opened))
                      : fastrbl::zones::Store::open({config.db});
  if (!store.is_ok()) {
    FASTRBL_LOG_WARN("%.*s; loading the data files without the store",
                     static_cast<int>(store.status().message().size()), store.status().message().data());
    return FromStore{};
  }
  auto compiled = loader::compile_into_store(*store.value(), config.zones, options);
  if (!compiled.is_ok() && fall_back) {
    // An LMDB error is the store's: said here. Anything else is the data's, which the
    // text path then reports in rbldnsd's words (and fails the start as rbldnsd would).
    const std::string_view why = compiled.status().message();
    if (why.rfind("LMDB", 0) == 0)
      FASTRBL_LOG_WARN("LMDB store %s: %.*s; loading the data files without the store", config.db.c_str(),
                       static_cast<int>(why.size()), why.data());
    return FromStore{};
  }
  if (!compiled.is_ok()) return compiled.status();
  // Parsing and compiling freed a lot of heap that the served datasets do not use (they
  // view the map): give it back, so that the private RSS is what serving needs.
  if (compiled.value().committed) ::malloc_trim(0);
  auto loaded = loader::snapshot_from_store(*store.value(), config.zones, options, false, true);
  if (!loaded.is_ok()) return loaded.status();
  std::size_t stored = 0, compiled_n = 0, parsed = 0;
  for (const loader::DatasetOrigin& d : compiled.value().datasets)
    (d.kind == loader::DatasetOrigin::kStored     ? stored
     : d.kind == loader::DatasetOrigin::kCompiled ? compiled_n
                                                  : parsed)++;
  FASTRBL_LOG_INFO(
      "LMDB store %s: generation %llu%s: %zu dataset(s) unchanged, %zu compiled, %zu parsed "
      "(no image format); %zu served from the map in place",
      config.db.c_str(), static_cast<unsigned long long>(loaded.value().generation),
      compiled.value().committed ? " committed" : "", stored, compiled_n, parsed, loaded.value().in_place);
  return FromStore{loaded.value().snapshot, std::move(store).value(), loaded.value().generation};
}

// The zones of the feed datasets, unless a zone spec already names the dataset's file.
void add_feed_zones(const fastrbl::feeds::FeedConfig& feeds, dnsd::Config& config) {
  for (const fastrbl::feeds::DatasetDef& d : feeds.datasets) {
    bool named = false;
    for (const std::string& z : config.zones) named = named || z.find(d.output) != std::string::npos;
    if (!named)
      config.zones.push_back(d.zone + ":" + std::string(fastrbl::feeds::dataset_kind_name(d.kind)) + ":" +
                             d.output);
  }
}

// --feeds (docs/UPDATE.md): the feed config and TSIG keys, the LMDB store its entries live
// in (--db, else the default state directory), every dataset file rendered again if it no
// longer matches the store (a crash between an update's commit and its render heals
// here), and the feed zones added to the served ones unless a zone spec names the file.
fastrbl::core::Result<std::unique_ptr<dnsd::UpdateService>> open_feeds(
    dnsd::Config& config, std::shared_ptr<fastrbl::zones::Store>* store) {
  const std::string dir = config.db.empty() ? fastrbl::zones::default_store_dir() : config.db;
  auto opened = fastrbl::zones::Store::open({dir});
  if (!opened.is_ok()) return opened.status();
  *store = opened.value();
  auto updates = dnsd::UpdateService::create(config.feeds, config.update_keys, std::move(opened).value());
  if (!updates.is_ok()) return updates.status();
  auto healed = updates.value()->processor().heal(*store, std::time(nullptr));
  if (!healed.is_ok()) return healed.status();
  add_feed_zones(updates.value()->processor().config(), config);
  return std::move(updates).value();
}

// The default state directory (docs/LMDB_SCHEMA.md, "The state directory"), decided
// before chroot and the privilege drop. Started as root with -u (or as rbldns), a default
// directory that is still empty and owned by root is handed to the serving user, as
// systemd's StateDirectory= does, so that the serving process can write it. With -r the
// store is opened inside the root: $STATE_DIRECTORY or /var/lib/fastrbl there, nothing
// is looked at or created outside it.
std::string default_store(const dnsd::Config& config, const dnsd::Identity& identity) {
  if (!config.rootdir.empty()) {
    const char* sd = std::getenv("STATE_DIRECTORY");
    return sd != nullptr && sd[0] == '/' ? std::string(sd).substr(0, std::string(sd).find(':'))
                                         : std::string("/var/lib/fastrbl");
  }
  std::string dir = fastrbl::zones::default_store_dir();
  struct stat st {};
  if (::geteuid() == 0 && identity.change && identity.uid != 0 && ::stat(dir.c_str(), &st) == 0 &&
      S_ISDIR(st.st_mode) && st.st_uid == 0 && std::filesystem::is_empty(dir)) {
    if (::chown(dir.c_str(), identity.uid, identity.gid) != 0 || ::chmod(dir.c_str(), 0750) != 0) {
      const int err = errno;
      FASTRBL_LOG_WARN("LMDB store %s: cannot hand it to the serving user: %s", dir.c_str(),
                       std::strerror(err));
    }
  }
  return dir;
}

int run(int argc, char** argv) {
  dnsd::ParseResult parsed = dnsd::parse_command_line(argc, argv);
  write_stdout(parsed.out);
  for (const std::string& e : parsed.errors) FASTRBL_LOG_ERROR("%s", e.c_str());
  if (!parsed.run) return parsed.exit_code;
  dnsd::Config& config = parsed.config;  // --feeds may add zones
  if (config.dump) {                     // with --feeds, its zones too (as rendered: the store is not opened)
    if (!config.feeds.empty()) {
      auto feeds = fastrbl::feeds::load_feed_config(config.feeds);
      if (!feeds.is_ok()) return fatal(feeds.status());
      add_feed_zones(feeds.value(), config);
    }
    return dump(config);
  }

  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  dnsd::ListenSet listen;
  Status s = listen.open(config, config.workers);
  if (s.is_ok()) s = listen.adopt(dnsd::inherited_sockets(), config.workers);
  if (!s.is_ok()) return fatal(s);
  for (const dnsd::ListenAddress& a : listen.addresses()) FASTRBL_LOG_INFO("listening on %s", a.text.c_str());

  auto identity = dnsd::resolve_identity(config.user, ::getuid());
  if (!identity.is_ok()) return fatal(identity.status());

  dnsd::Daemon daemon;
  if (!config.foreground) {
    // Under systemd (Type=notify) the started process is the service: no fork.
    s = dnsd::under_notify() ? daemon.use_syslog(config.syslog_facility)
                             : daemon.detach(config.syslog_facility);
    if (!s.is_ok()) return fatal(s);  // (the parent of a fork exits inside detach())
  }
  // The store: --db DIR, else the default state directory unless --no-db.
  const bool default_db = config.db.empty() && !config.no_db;
  if (default_db) config.db = default_store(config, identity.value());
  // The compiler of reloads through the store, found before chroot (-r): /proc may not be
  // there after it.
  std::string ctl = config.db.empty() ? std::string() : dnsd::StoreReload::find_fastrblctl();
  if (!config.pidfile.empty()) {  // relative to the starting directory, before chroot and setuid
    s = dnsd::write_pidfile(config.pidfile);
    if (!s.is_ok()) return fatal(s);
  }
  if (!config.rootdir.empty()) {
    s = dnsd::enter_root(config.rootdir);
    if (!s.is_ok()) return fatal(s);
  }
  if (!change_dir(config)) return 1;
  s = dnsd::drop_privileges(identity.value());
  if (!s.is_ok()) return fatal(s);

  std::shared_ptr<fastrbl::zones::Store> feed_store;  // --feeds: the store of its entries
  std::unique_ptr<dnsd::UpdateService> updates;
  if (!config.feeds.empty()) {
    auto u = open_feeds(config, &feed_store);
    if (!u.is_ok()) return fatal(u.status());
    updates = std::move(u).value();
  }

  std::shared_ptr<const fastrbl::zones::Snapshot> snapshot;
  std::shared_ptr<loader::ZoneSet> zone_specs;  // text loading and reloads (not from the store)
  std::shared_ptr<dnsd::StoreReload> store_reload;
  if (!config.db.empty() && config.quickstart) {
    // -q: SERVFAIL until the first reload check has compiled the files (out of process)
    // and opened the generation.
    auto store = feed_store ? fastrbl::core::Result<std::shared_ptr<fastrbl::zones::Store>>(feed_store)
                            : fastrbl::zones::Store::open({config.db});
    if (!store.is_ok()) {
      FASTRBL_LOG_WARN("%.*s; loading the data files without the store",
                       static_cast<int>(store.status().message().size()), store.status().message().data());
    } else if (ctl.empty()) {
      FASTRBL_LOG_WARN(
          "no fastrblctl next to the fastrbld executable: -q loads the data files without the store");
    } else {
      auto zone_set = loader::ZoneSet::create(config.zones, load_options(config));
      if (!zone_set.is_ok()) return fatal(zone_set.status());
      snapshot = zone_set.value()->unloaded_snapshot();
      store_reload = std::make_shared<dnsd::StoreReload>(std::move(store).value(), config.db, config.zones,
                                                         load_options(config), 0, *snapshot, std::move(ctl));
    }
  } else if (!config.db.empty()) {
    auto stored = load_from_store(config, feed_store, default_db);
    if (!stored.is_ok()) return fatal(stored.status());
    snapshot = std::move(stored.value().snapshot);  // null: the store could not be opened (warned)
    if (snapshot) {
      if (ctl.empty())
        FASTRBL_LOG_WARN(
            "no fastrblctl next to the fastrbld executable: reload checks cannot compile "
            "changed data files into the store");
      store_reload = std::make_shared<dnsd::StoreReload>(
          std::move(stored.value().store), config.db, config.zones, load_options(config),
          stored.value().generation, *snapshot, std::move(ctl));
    }
  }
  if (!snapshot) {
    auto zone_set = loader::ZoneSet::create(config.zones, load_options(config));
    if (!zone_set.is_ok()) return fatal(zone_set.status());
    zone_specs = std::move(zone_set).value();
    if (config.quickstart) {
      snapshot = zone_specs->unloaded_snapshot();  // SERVFAIL until the first load
    } else {
      loader::CheckResult first = zone_specs->check();
      loader::log_zones_reloaded(first);
      if (first.failed > 0) return fatal(Status::error("zone loading errors, aborting"));
      ::malloc_trim(0);  // the parser's freed temporaries: back to the system, out of the RSS
      snapshot = std::move(first.snapshot);
    }
  }
  const std::size_t zones = snapshot->zones().size();

  dnsd::Server server(config);
  // The query log is opened after chroot (-r), chdir (-w) and dropping privileges (-u),
  // as rbldnsd does: the file belongs to the user that serves.
  server.open_query_log();
  s = server.init(listen, std::move(snapshot));
  if (!s.is_ok()) return fatal(s);
  if (updates && updates->accepts_updates()) {  // before start(): the workers' hand-off hook
    s = server.enable_updates(std::move(updates));
    if (!s.is_ok()) return fatal(s);
  }
  s = server.start();
  if (!s.is_ok()) return fatal(s);
  if (server.workers_using_recvmmsg() != config.workers) {
    FASTRBL_LOG_WARN("recvmmsg is not available: UDP is read one datagram at a time");
  }
  FASTRBL_LOG_INFO("%s started (%zu socket(s), %zu zone(s))", dnsd::version_string(),
                   listen.addresses().size(), zones);
  daemon.ready();
  if (zone_specs) {
    server.enable_reload([zone_specs] { return zone_specs->check(); });
    if (config.quickstart) server.request_reload();
  } else if (store_reload) {
    server.enable_reload([store_reload] { return store_reload->check(); });
    if (config.quickstart) server.request_reload();
  }
  dnsd::notify("READY=1");
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
