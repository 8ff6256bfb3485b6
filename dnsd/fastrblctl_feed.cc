#include "dnsd/fastrblctl_feed.h"

#include "dnsd/feed_push.h"
#include "feeds/feed_config.h"
#include "feeds/feed_store.h"
#include "zones/store.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <getopt.h>
#include <set>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace fastrbl::dnsd {
namespace {

constexpr const char* kDefaultConfig = "/etc/fastrbl/feeds.toml";

struct FeedArgs {
  std::string sub;
  std::string config = kDefaultConfig;
  std::string db;
  std::string output_dir;
  bool offline = false;
  bool dry_run = false;
  bool verbose = false;
  std::int64_t now = 0;
  std::vector<std::string> names;
};

std::string feed_usage() {
  return std::string(
             "usage: fastrblctl feed import [--offline] [--dry-run] [-v] [FEED...]\n"
             "       fastrblctl feed render [DATASET...]\n"
             "       fastrblctl feed list\n"
             "       fastrblctl feed show FEED...\n"
             "       fastrblctl feed zones\n"
             "       fastrblctl feed push --zone ZONE [--server ADDR[:PORT] --key FILE] FILE\n"
             "common options: --config FILE (default ") +
         kDefaultConfig + "), --db DIR (default: " + zones::default_store_dir() +
         "),\n"
         "                --output-dir DIR (render relative output paths under DIR, not next to the "
         "config)\n\n"
         "  import   fetch (http(s) with a conditional GET, else the local file), read, normalise and check\n"
         "           each feed (all of them without FEED), commit its diff (added, removed, kept, expired) "
         "in\n"
         "           one LMDB transaction, print it, then render the datasets that changed. A feed whose\n"
         "           new data fails a guard (shrink, bad lines, incomplete source) is refused: its last "
         "good\n"
         "           entries stay. --offline reads each URL feed's fallback file; --dry-run commits "
         "nothing;\n"
         "           -v prints every changed key (else the first 20 of each kind).\n"
         "  render   write the datasets' rbldnsd data files from the store (all without DATASET)\n"
         "  list     one line per feed: datasets, source, last import, entries, last error\n"
         "  show     a feed's definition and its stored import record\n"
         "  zones    the fastrbld zone specs (zone:type:file) that serve the rendered files\n"
         "  push     add and delete entries (add KEY [VALUE] / del KEY lines): DNS UPDATE with TSIG to a\n"
         "           server, or straight into the store (fastrblctl feed push --help)\n"
         "  --now T  (testing) take unix time T as the current time\n";
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "fastrblctl: feed: %s\n%s", msg.c_str(), feed_usage().c_str());
  return 2;
}

int fail(std::string_view msg) {
  std::fprintf(stderr, "fastrblctl: %.*s\n", static_cast<int>(msg.size()), msg.data());
  return 1;
}

std::string absolute(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  std::vector<char> cwd(4096);
  if (::getcwd(cwd.data(), cwd.size()) == nullptr) return p;
  return std::string(cwd.data()) + "/" + p;
}

std::string utc(std::int64_t t) {
  if (t == 0) return "never";
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return {buf.data(), n};
}

void print_keys(char mark, const std::vector<std::string>& keys, bool verbose) {
  const std::size_t limit = verbose ? keys.size() : 20;
  for (std::size_t i = 0; i < keys.size() && i < limit; ++i) std::printf("  %c %s\n", mark, keys[i].c_str());
  if (keys.size() > limit) std::printf("  %c ... %zu more (-v lists them all)\n", mark, keys.size() - limit);
}

struct Opened {
  std::shared_ptr<zones::Store> store;
  std::unique_ptr<feeds::FeedStore> feeds;
};

core::Result<Opened> open_all(const FeedArgs& a, bool read_only) {
  auto cfg = feeds::load_feed_config(a.config, a.output_dir);
  if (!cfg.is_ok()) return cfg.status();
  zones::Store::Options o;
  o.dir = absolute(a.db.empty() ? zones::default_store_dir() : a.db);
  o.read_only = read_only;
  auto store = zones::Store::open(o);
  if (!store.is_ok()) return store.status();
  auto fs = feeds::FeedStore::open(store.value(), std::move(cfg).value());
  if (!fs.is_ok()) return fs.status();
  return Opened{store.value(), std::move(fs).value()};
}

// The datasets to render after `changed` changed: those, and every multi dataset with one
// of them as a member.
std::vector<std::string> affected(const feeds::FeedConfig& cfg, const std::set<std::string>& changed) {
  std::vector<std::string> out;
  for (const feeds::DatasetDef& d : cfg.datasets) {
    bool hit = changed.count(d.name) != 0;
    for (const feeds::MultiMember& m : d.members) hit = hit || changed.count(m.dataset) != 0;
    if (hit) out.push_back(d.name);
  }
  return out;
}

int render_all(feeds::FeedStore& fs, const std::vector<std::string>& datasets, std::int64_t now) {
  int status = 0;
  for (const std::string& dn : datasets) {
    auto r = fs.render(dn, now);
    if (!r.is_ok()) {
      status = fail(r.status().message());
      continue;
    }
    std::printf("rendered %s to %s: %zu entries, %zu exclusions\n", dn.c_str(), r.value().path.c_str(),
                r.value().listed, r.value().excluded);
  }
  return status;
}

int cmd_import(const FeedArgs& a) {
  auto op = open_all(a, false);
  if (!op.is_ok()) return fail(op.status().message());
  feeds::FeedStore& fs = *op.value().feeds;
  std::vector<std::string> names = a.names;
  if (names.empty())
    for (const feeds::FeedDef& f : fs.config().feeds) names.push_back(f.name);
  for (const std::string& n : names)
    if (fs.config().feed(n) == nullptr) return usage_error("unknown feed `" + n + "' in " + fs.config().path);
  int status = 0;
  std::set<std::string> changed;
  feeds::ImportOptions io;
  io.offline = a.offline;
  io.dry_run = a.dry_run;
  for (const std::string& n : names) {
    auto r = fs.import(n, a.now, io);
    if (!r.is_ok()) {
      status = fail(r.status().message());
      continue;
    }
    const feeds::ImportReport& rep = r.value();
    for (const std::string& d : rep.diagnostics) std::printf("feed %s: %s\n", n.c_str(), d.c_str());
    if (rep.refused) {
      std::printf("feed %s: REFUSED: %s\n", n.c_str(), rep.message.c_str());
      status = 1;
      continue;
    }
    std::printf("feed %s: read %s%s: %zu entries, %zu bad\n", n.c_str(), rep.source_used.c_str(),
                rep.unchanged_source ? " (not modified since the last import)" : "", rep.entries, rep.bad);
    std::printf(
        "feed %s: %zu added, %zu removed, %zu kept (%zu updated), %zu expired, %zu absent but not "
        "expired%s\n",
        n.c_str(), rep.diff.added.size(), rep.diff.removed.size(), rep.diff.kept, rep.diff.updated.size(),
        rep.diff.expired.size(), rep.diff.lingering, a.dry_run ? " (dry run: nothing committed)" : "");
    print_keys('+', rep.diff.added, a.verbose);
    print_keys('-', rep.diff.removed, a.verbose);
    print_keys('x', rep.diff.expired, a.verbose);
    print_keys('~', rep.diff.updated, a.verbose);
    if (!a.dry_run) changed.insert(rep.datasets.begin(), rep.datasets.end());
  }
  if (!changed.empty()) {
    if (const int rs = render_all(fs, affected(fs.config(), changed), a.now); rs != 0) status = rs;
  }
  return status;
}

int cmd_render(const FeedArgs& a) {
  auto op = open_all(a, false);
  if (!op.is_ok()) return fail(op.status().message());
  feeds::FeedStore& fs = *op.value().feeds;
  std::vector<std::string> names = a.names;
  if (names.empty())
    for (const feeds::DatasetDef& d : fs.config().datasets) names.push_back(d.name);
  for (const std::string& n : names)
    if (fs.config().dataset(n) == nullptr)
      return usage_error("unknown dataset `" + n + "' in " + fs.config().path);
  return render_all(fs, names, a.now);
}

int cmd_list(const FeedArgs& a, bool show) {
  auto op = open_all(a, false);
  if (!op.is_ok()) return fail(op.status().message());
  feeds::FeedStore& fs = *op.value().feeds;
  std::vector<std::string> names = a.names;
  if (show && names.empty()) return usage_error("show: name at least one feed");
  if (names.empty())
    for (const feeds::FeedDef& f : fs.config().feeds) names.push_back(f.name);
  int status = 0;
  for (const std::string& n : names) {
    const feeds::FeedDef* f = fs.config().feed(n);
    if (f == nullptr) return usage_error("unknown feed `" + n + "' in " + fs.config().path);
    auto m = fs.feed_meta(n);
    if (!m.is_ok()) {
      status = fail(m.status().message());
      continue;
    }
    const feeds::FeedMeta meta = m.value().value_or(feeds::FeedMeta{});
    std::string ds;
    for (const std::string& d : f->datasets) ds += (ds.empty() ? "" : ",") + d;
    if (!show) {
      std::printf("%s\t%s\t%s\t%s\t%llu entries%s%s\n", n.c_str(), ds.c_str(), f->source.c_str(),
                  utc(meta.last_import).c_str(), static_cast<unsigned long long>(meta.last_good_entries),
                  meta.last_error.empty() ? "" : "\tlast attempt refused: ", meta.last_error.c_str());
      continue;
    }
    std::printf("feed\t%s\ndatasets\t%s\nsource\t%s\n", n.c_str(), ds.c_str(), f->source.c_str());
    if (!f->fallback.empty()) std::printf("fallback\t%s\n", f->fallback.c_str());
    std::printf("format\t%s\nexpire after\t%llds\nmax shrink\t%.2f\nmax bad\t%.2f\n",
                std::string(feeds::format_name(f->format)).c_str(), static_cast<long long>(f->expire_after),
                f->max_shrink, f->max_bad);
    std::printf("last import\t%s\nlast attempt\t%s\nentries\t%llu\n", utc(meta.last_import).c_str(),
                utc(meta.last_attempt).c_str(), static_cast<unsigned long long>(meta.last_good_entries));
    std::printf("last diff\t%llu added, %llu removed, %llu kept, %llu expired, %llu bad\n",
                static_cast<unsigned long long>(meta.added), static_cast<unsigned long long>(meta.removed),
                static_cast<unsigned long long>(meta.kept), static_cast<unsigned long long>(meta.expired),
                static_cast<unsigned long long>(meta.bad));
    std::printf("read from\t%s\nversion\t%s\netag\t%s\nlast modified\t%s\nlast error\t%s\n\n",
                meta.source.c_str(), meta.version.c_str(), meta.etag.c_str(), meta.last_modified.c_str(),
                meta.last_error.c_str());
  }
  return status;
}

int cmd_zones(const FeedArgs& a) {
  auto cfg = feeds::load_feed_config(a.config, a.output_dir);
  if (!cfg.is_ok()) return fail(cfg.status().message());
  for (const std::string& s : cfg.value().zone_specs()) std::printf("%s\n", s.c_str());
  return 0;
}

}  // namespace

int feed_main(int argc, char** argv) {
  if (argc < 3) return usage_error("no subcommand given");
  FeedArgs a;
  a.sub = argv[2];
  if (a.sub == "-h" || a.sub == "--help") {
    std::fputs(feed_usage().c_str(), stdout);
    return 0;
  }
  if (a.sub == "push") return feed_push_main(argc, argv);  // its own options (dnsd/feed_push.h)
  if (a.sub != "import" && a.sub != "render" && a.sub != "list" && a.sub != "show" && a.sub != "zones")
    return usage_error("unknown subcommand `" + a.sub + "'");
  enum { kConfig = 256, kDb, kOutputDir, kOffline, kDryRun, kNow };
  const option longs[] = {{"config", required_argument, nullptr, kConfig},
                          {"db", required_argument, nullptr, kDb},
                          {"output-dir", required_argument, nullptr, kOutputDir},
                          {"offline", no_argument, nullptr, kOffline},
                          {"dry-run", no_argument, nullptr, kDryRun},
                          {"now", required_argument, nullptr, kNow},
                          {"verbose", no_argument, nullptr, 'v'},
                          {"help", no_argument, nullptr, 'h'},
                          {nullptr, 0, nullptr, 0}};
  ::optind = 3;
  ::opterr = 0;
  for (;;) {
    const int opt = ::getopt_long(argc, argv, ":vh", longs, nullptr);
    if (opt == -1) break;
    switch (opt) {
      case 'h':
        std::fputs(feed_usage().c_str(), stdout);
        return 0;
      case 'v':
        a.verbose = true;
        break;
      case kConfig:
        a.config = ::optarg;
        break;
      case kDb:
        a.db = ::optarg;
        break;
      case kOutputDir:
        a.output_dir = ::optarg;
        break;
      case kOffline:
        a.offline = true;
        break;
      case kDryRun:
        a.dry_run = true;
        break;
      case kNow: {
        char* end = nullptr;
        a.now = std::strtoll(::optarg, &end, 10);
        if (end == ::optarg || *end != '\0' || a.now <= 0) return usage_error("--now takes a unix time");
        break;
      }
      case ':':
        return usage_error(std::string("option requires an argument: ") + argv[::optind - 1]);
      default:
        return usage_error(std::string("unknown option: ") + argv[::optind - 1]);
    }
  }
  if ((a.offline || a.dry_run) && a.sub != "import")
    return usage_error("--offline and --dry-run are for import");
  for (int i = ::optind; i < argc; ++i) a.names.emplace_back(argv[i]);
  if (a.now == 0) a.now = static_cast<std::int64_t>(std::time(nullptr));
  if (a.sub == "import") return cmd_import(a);
  if (a.sub == "render") return cmd_render(a);
  if (a.sub == "zones") {
    if (!a.names.empty()) return usage_error("zones takes no names");
    return cmd_zones(a);
  }
  return cmd_list(a, a.sub == "show");
}

}  // namespace fastrbl::dnsd
