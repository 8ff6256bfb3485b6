// fastrblctl: the offline tool (DESIGN.md "Binaries"): compile data files into the LMDB
// store, check them without writing, dump or describe what the store holds.
//
//   fastrblctl compile [--db DIR] [--force] [-t ttl] [-e] [-C] [-w dir] zonespec...
//   fastrblctl check   [-t ttl] [-e] [-C] [-w dir] zonespec...
//   fastrblctl dump    [--db DIR] [-t ttl] [-e] [-C] [-w dir] zonespec...
//   fastrblctl stats   [--db DIR]
//   fastrblctl feed    import|render|list|show|zones ...   (dnsd/fastrblctl_feed.cc)
//
// Zone specs and -t/-e/-C/-w mean what they mean to fastrbld; the store's default
// directory is docs/LMDB_SCHEMA.md's (zones::default_store_dir()). It lives in dnsd/
// because it is a program, like fastrbld (nothing depends on it); it uses loader/ and
// zones/ only. Exit status: 0 success, 1 a data or store error, 2 a usage error.

#include "core/log.h"
#include "dnsd/config.h"
#include "dnsd/fastrblctl_feed.h"
#include "loader/load.h"
#include "loader/store_load.h"
#include "zones/dump.h"
#include "zones/store.h"

#include <lmdb.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <getopt.h>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

namespace loader = fastrbl::loader;
namespace zones = fastrbl::zones;

struct Command {
  const char* name;
  const char* summary;
  bool takes_specs;
  bool uses_db;
  bool takes_load_options;
  bool takes_force;  // --force and --prune
};

constexpr Command kCommands[] = {
    {"compile",
     "parse the data files and commit them to the store as a new generation (only the datasets whose "
     "files changed are parsed; nothing is written when none did; datasets of other command lines stay)",
     true, true, true, true},
    {"check", "parse and validate the data files as fastrbld would load them; write nothing", true, false,
     true, false},
    {"dump", "print the zones from the store's images in BIND format, as fastrbld -d prints them from text",
     true, true, true, false},
    {"stats", "print the store's generation and, per dataset, entries, image bytes, checksum and sources",
     false, true, false, false},
};

struct Args {
  const Command* cmd = nullptr;
  std::string db;
  bool force = false;
  bool prune = false;
  std::string workdir;
  fastrbl::dnsd::TtlConfig ttl;
  bool accept_host_bits = false;
  bool no_gzip = false;
  std::vector<std::string> specs;
};

std::string usage() {
  std::string s =
      "usage: fastrblctl COMMAND [options] [zone:type:file[,file...]...]\n"
      "       fastrblctl COMMAND --help\n\ncommands:\n";
  for (const Command& c : kCommands) s += "  " + std::string(c.name) + "\t" + c.summary + "\n";
  s += "  feed\timport feeds into the store and render their datasets (fastrblctl feed --help)\n";
  return s;
}

std::string command_help(const Command& c) {
  std::string s = "usage: fastrblctl " + std::string(c.name) + " [options]" +
                  (c.takes_specs ? " zone:type:file[,file...]..." : "") + "\n" + c.summary + "\n\noptions:\n";
  if (c.uses_db)
    s += "  --db DIR\tthe LMDB store directory (default: " + zones::default_store_dir() +
         "; see docs/LMDB_SCHEMA.md)\n";
  if (c.takes_force) {
    s += "  --force\trecompile every dataset, changed or not\n";
    s += "  --prune\tdrop the stored datasets these zone specs do not name (other command lines')\n";
  }
  if (c.takes_load_options) {
    s += "  -t def[:min[:max]]\tdefault TTL and the range allowed for TTLs from data (as fastrbld; default "
         "35m)\n";
    s += "  -e\taccept CIDR ranges with a non-zero host part (as fastrbld)\n";
    s += "  -C\ta gzip-compressed data file is an error (as fastrbld)\n";
    s += "  -w dir\tchange to this directory before reading data files (as fastrbld)\n";
  }
  s += "  -h, --help\tprint this help and exit\n";
  if (c.takes_load_options && c.uses_db)
    s += "\nThe store keys a dataset by its type, its file list as written and -t/-e/-C: use the same\n"
         "values as the fastrbld command line that serves it.\n";
  return s;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "fastrblctl: %s\n%s", msg.c_str(), usage().c_str());
  return 2;
}

int fail(std::string_view msg) {
  std::fprintf(stderr, "fastrblctl: %.*s\n", static_cast<int>(msg.size()), msg.data());
  return 1;
}

loader::LoadOptions load_options(const Args& a) {
  loader::LoadOptions o;
  o.default_ttl = a.ttl.def;
  o.min_ttl = a.ttl.min;
  o.max_ttl = a.ttl.max;
  o.accept_host_bits = a.accept_host_bits;
  o.no_gzip = a.no_gzip;
  return o;
}

std::string db_dir(const Args& a) { return a.db.empty() ? zones::default_store_dir() : a.db; }

bool change_dir(const Args& a) {
  if (a.workdir.empty() || ::chdir(a.workdir.c_str()) == 0) return true;
  const int err = errno;
  fail("unable to chdir to " + a.workdir + ": " + std::strerror(err));
  return false;
}

const char* origin_text(loader::DatasetOrigin::Kind k) {
  switch (k) {
    case loader::DatasetOrigin::kStored:
      return "unchanged";
    case loader::DatasetOrigin::kCompiled:
      return "compiled";
    case loader::DatasetOrigin::kParsed:
      return "parsed, not stored (no image format for this type yet)";
  }
  return "?";
}

int cmd_compile(const Args& a) {
  // The store path is made absolute before -w, so that --db is relative to where we run.
  std::string dir = db_dir(a);
  if (!dir.empty() && dir[0] != '/') {
    std::vector<char> cwd(4096);
    if (::getcwd(cwd.data(), cwd.size()) != nullptr) dir = std::string(cwd.data()) + "/" + dir;
  }
  if (!change_dir(a)) return 1;
  auto store = zones::Store::open({dir});
  if (!store.is_ok()) return fail(store.status().message());
  auto r = loader::compile_into_store(*store.value(), a.specs, load_options(a), a.force, a.prune);
  if (!r.is_ok()) return fail(r.status().message());
  for (const loader::DatasetOrigin& d : r.value().datasets)
    std::printf("%s:%s: %s, %llu entries, %llu image bytes\n", d.type.c_str(), d.spec.c_str(),
                origin_text(d.kind), static_cast<unsigned long long>(d.entries),
                static_cast<unsigned long long>(d.image_bytes));
  if (r.value().kept != 0) std::printf("%zu dataset(s) of other command lines kept\n", r.value().kept);
  if (r.value().pruned != 0) std::printf("%zu dataset(s) of other command lines dropped\n", r.value().pruned);
  if (r.value().committed)
    std::printf("generation %llu committed to %s\n", static_cast<unsigned long long>(r.value().generation),
                dir.c_str());
  else
    std::printf("%s is up to date (generation %llu)\n", dir.c_str(),
                static_cast<unsigned long long>(r.value().generation));
  return 0;
}

int cmd_check(const Args& a) {
  if (!change_dir(a)) return 1;
  auto snap = loader::load_snapshot(a.specs, load_options(a));
  if (!snap.is_ok()) return fail(snap.status().message());
  for (const zones::Zone& z : snap.value()->zones()) {
    std::array<char, 4 * 255> buf{};
    const std::size_t n = fastrbl::core::name_to_text(z.name.data(), buf);
    std::printf("zone %.*s: ok, %zu dataset(s)%s\n", static_cast<int>(n), buf.data(), z.datasets.size(),
                z.serviced ? "" : " (expired: would not be serviced)");
  }
  return 0;
}

int cmd_dump(const Args& a) {
  std::string dir = db_dir(a);
  if (!dir.empty() && dir[0] != '/') {
    std::vector<char> cwd(4096);
    if (::getcwd(cwd.data(), cwd.size()) != nullptr) dir = std::string(cwd.data()) + "/" + dir;
  }
  if (!change_dir(a)) return 1;
  zones::Store::Options o;
  o.dir = dir;
  o.read_only = true;
  auto store = zones::Store::open(o);
  if (!store.is_ok()) return fail(store.status().message());
  fastrbl::core::set_log_info(false);
  auto snap = loader::snapshot_from_store(*store.value(), a.specs, load_options(a), false, false);
  if (!snap.is_ok()) return fail(snap.status().message());
  zones::FileDumpSink sink(stdout);
  zones::dump_snapshot(*snap.value().snapshot, std::time(nullptr), "fastrbl " FASTRBL_VERSION, sink);
  const fastrbl::core::Status s = sink.finish();
  return s.is_ok() ? 0 : fail(s.message());
}

std::string utc(std::int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return {buf.data(), n};
}

int cmd_stats(const Args& a) {
  zones::Store::Options o;
  o.dir = db_dir(a);
  o.read_only = true;
  auto store = zones::Store::open(o);
  if (!store.is_ok()) return fail(store.status().message());
  auto gen = store.value()->open_generation();
  if (!gen.is_ok()) return fail(gen.status().message());
  const zones::GenerationRecord& rec = gen.value()->record();
  MDB_envinfo info{};
  MDB_stat st{};
  ::mdb_env_info(store.value()->env(), &info);
  ::mdb_env_stat(store.value()->env(), &st);
  std::uint64_t total_entries = 0, total_bytes = 0;
  for (const zones::StoredDataset& d : rec.datasets) {
    total_entries += d.entries;
    total_bytes += d.image_bytes;
  }
  std::printf("store\t%s\n", o.dir.c_str());
  std::printf("schema\t%u (image format %u)\n", zones::kStoreSchemaVersion, zones::kImageFormat);
  std::printf("generation\t%llu\ncommitted\t%s\n", static_cast<unsigned long long>(rec.generation),
              utc(rec.committed).c_str());
  std::printf("file pages used\t%llu (%llu bytes)\n", static_cast<unsigned long long>(info.me_last_pgno + 1),
              static_cast<unsigned long long>((info.me_last_pgno + 1) * st.ms_psize));
  std::printf("datasets\t%zu\nentries\t%llu\nimage bytes\t%llu\n", rec.datasets.size(),
              static_cast<unsigned long long>(total_entries), static_cast<unsigned long long>(total_bytes));
  for (const zones::StoredDataset& d : rec.datasets) {
    std::printf("\ndataset\t%s:%s\n", d.type.c_str(), d.spec.c_str());
    std::printf("  options\t%s\n", d.options.c_str());
    std::printf("  entries\t%llu\n", static_cast<unsigned long long>(d.entries));
    std::printf("  image bytes\t%llu\n", static_cast<unsigned long long>(d.image_bytes));
    std::printf("  image crc32\t%08x\n", d.checksum);
    std::printf("  image generation\t%llu\n", static_cast<unsigned long long>(d.image.generation));
    for (const zones::SourceStamp& s : d.sources)
      std::printf("  source\t%s size %llu mtime %s\n", s.path.c_str(),
                  static_cast<unsigned long long>(s.size), utc(s.mtime_ns / 1000000000).c_str());
  }
  return 0;
}

int run(int argc, char** argv) {
  if (argc < 2) return usage_error("no command given");
  const std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (name == "feed") return fastrbl::dnsd::feed_main(argc, argv);
  Args a;
  for (const Command& c : kCommands)
    if (name == c.name) a.cmd = &c;
  if (a.cmd == nullptr) return usage_error("unknown command `" + std::string(name) + "'");
  const Command& c = *a.cmd;

  enum { kDb = 256, kForce, kPrune };
  const option longs[] = {{"db", required_argument, nullptr, kDb},
                          {"force", no_argument, nullptr, kForce},
                          {"prune", no_argument, nullptr, kPrune},
                          {"help", no_argument, nullptr, 'h'},
                          {nullptr, 0, nullptr, 0}};
  ::optind = 2;
  ::opterr = 0;
  for (;;) {
    const int opt = ::getopt_long(argc, argv, ":t:eCw:h", longs, nullptr);
    if (opt == -1) break;
    const bool load_opt = opt == 't' || opt == 'e' || opt == 'C' || opt == 'w';
    if ((load_opt && !c.takes_load_options) || (opt == kDb && !c.uses_db) ||
        ((opt == kForce || opt == kPrune) && !c.takes_force))
      return usage_error(std::string(c.name) + ": option not accepted: " +
                         (opt == kDb      ? std::string("--db")
                          : opt == kForce ? std::string("--force")
                                          : std::string(1, '-') + static_cast<char>(opt)));
    switch (opt) {
      case 'h':
        std::fputs(command_help(c).c_str(), stdout);
        return 0;
      case kDb:
        a.db = ::optarg;
        break;
      case kForce:
        a.force = true;
        break;
      case kPrune:
        a.prune = true;
        break;
      case 't': {
        std::string err;
        if (!fastrbl::dnsd::parse_ttl_option(::optarg, &a.ttl, &err)) return usage_error(err);
        break;
      }
      case 'e':
        a.accept_host_bits = true;
        break;
      case 'C':
        a.no_gzip = true;
        break;
      case 'w':
        a.workdir = ::optarg;
        break;
      case ':':
        return usage_error(std::string("option requires an argument: ") + argv[::optind - 1]);
      default:
        return usage_error(std::string("unknown option: ") + argv[::optind - 1]);
    }
  }
  for (int i = ::optind; i < argc; ++i) a.specs.emplace_back(argv[i]);
  if (c.takes_specs && a.specs.empty()) return usage_error(std::string(c.name) + ": no zone specs given");
  if (!c.takes_specs && !a.specs.empty()) return usage_error(std::string(c.name) + ": takes no zone specs");

  if (name == "compile") return cmd_compile(a);
  if (name == "check") return cmd_check(a);
  if (name == "dump") return cmd_dump(a);
  return cmd_stats(a);
}

// Every log line goes to stderr: stdout carries the command's own output (a dump, stats).
void log_to_stderr(fastrbl::core::LogLevel /*level*/, const char* msg) {
  std::fprintf(stderr, "fastrblctl: %s\n", msg);
}

}  // namespace

int main(int argc, char** argv) {
  fastrbl::core::set_log_program("fastrblctl");
  fastrbl::core::set_log_sink(&log_to_stderr);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
