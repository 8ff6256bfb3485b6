#include "loader/reload.h"

#include "core/log.h"

#include <chrono>
#include <malloc.h>
#include <map>
#include <string_view>
#include <sys/resource.h>
#include <sys/stat.h>
#include <utility>

namespace fastrbl::loader {
namespace {

double thread_user_seconds() {
  rusage ru{};
  if (::getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  return static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
}

}  // namespace

core::Result<std::unique_ptr<ZoneSet>> ZoneSet::create(const std::vector<std::string>& specs,
                                                       const LoadOptions& options) {
  std::unique_ptr<ZoneSet> set(new ZoneSet());
  set->options_ = options;
  set->specs_.reserve(specs.size());
  for (const std::string& s : specs) {
    auto z = parse_zone_spec(s);
    if (!z.is_ok()) return z.status();
    set->specs_.push_back(std::move(z.value()));
  }
  core::Status acls = check_acl_specs(set->specs_);
  if (!acls.is_ok()) return acls;
  // One dataset per distinct (type, file list as written), in order of first use.
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const ZoneSpec& z : set->specs_) {
    auto [it, fresh] = index.emplace(std::make_pair(z.type, z.files_spec), set->datasets_.size());
    if (fresh) {
      DatasetState ds;
      ds.type = z.type;
      ds.files_spec = z.files_spec;
      ds.files = z.files;
      set->datasets_.push_back(std::move(ds));
    }
    set->spec_dataset_.push_back(it->second);
  }
  return set;
}

std::size_t ZoneSet::unloaded_count() const noexcept {
  std::size_t n = 0;
  for (const DatasetState& ds : datasets_) n += ds.dataset == nullptr ? 1U : 0U;
  return n;
}

bool ZoneSet::changed(const DatasetState& ds) const {
  if (ds.dataset == nullptr || ds.stamps.size() != ds.files.size()) return true;
  for (const FileStamp& f : ds.stamps) {
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) return true;  // a failed stat counts as a change
    if (st.st_mtime != f.mtime || static_cast<std::uint64_t>(st.st_size) != f.size) return true;
  }
  return false;
}

CheckResult ZoneSet::check() {
  const auto start = std::chrono::steady_clock::now();
  const double user_start = thread_user_seconds();
  CheckResult r;
  for (DatasetState& ds : datasets_) {
    if (!changed(ds)) continue;
    auto loaded = load_dataset(ds.type, ds.files_spec, ds.files, options_);
    if (loaded.is_ok()) {
      ds.dataset = std::move(loaded.value().dataset);
      ds.stamps = std::move(loaded.value().files);
      ++r.loaded;
      continue;
    }
    ++r.failed;
    log_load_error(loaded.status());
    // The stamps stay those of the last good load: the dataset is tried again at the
    // next check, as long as its files differ from what that load read.
    if (ds.dataset != nullptr)
      FASTRBL_LOG_WARN("%s:%.60s: load failed, still serving the data loaded before", ds.type.c_str(),
                       ds.files_spec.c_str());
  }
  const std::time_t now = options_.now != 0 ? options_.now : std::time(nullptr);
  const bool expiry_due = next_expiry_ != 0 && now >= next_expiry_;
  if (!built_ || r.loaded > 0 || expiry_due) r.snapshot = build(now);
  r.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.user_seconds = thread_user_seconds() - user_start;
  return r;
}

std::shared_ptr<const zones::Snapshot> ZoneSet::build(std::time_t now) {
  std::vector<std::shared_ptr<const zones::Dataset>> datasets;
  datasets.reserve(specs_.size());
  next_expiry_ = 0;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const DatasetState& ds = datasets_[spec_dataset_[i]];
    datasets.push_back(ds.dataset);
    if (ds.dataset == nullptr) continue;
    const std::time_t e = ds.dataset->meta().expires;
    if (e > now && (next_expiry_ == 0 || e < next_expiry_)) next_expiry_ = e;
  }
  LoadOptions options = options_;
  options.now = now;
  built_ = true;
  return build_snapshot(specs_, datasets, options);
}

std::shared_ptr<const zones::Snapshot> ZoneSet::unloaded_snapshot() const {
  std::vector<zones::Zone> zones;
  for (const ZoneSpec& z : specs_) {
    if (z.zone.is_root()) continue;  // the global acl
    bool seen = false;
    for (const zones::Zone& have : zones) seen = seen || have.name == z.zone;
    if (seen) continue;
    zones.emplace_back();
    zones.back().name = z.zone;
    zones.back().serviced = false;
  }
  return std::make_shared<const zones::Snapshot>(std::move(zones));
}

void log_load_error(const core::Status& error) {
  std::string_view text = error.message();
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    FASTRBL_LOG_ERROR("%.*s", static_cast<int>(line.size()), line.data());
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

void log_zones_reloaded(const CheckResult& result) {
  const struct mallinfo2 mi = ::mallinfo2();
  FASTRBL_LOG_INFO("zones reloaded, time %.2fe/%.2fu sec, mem arena=%zu free=%zu mmap=%zu Kb",
                   result.elapsed_seconds, result.user_seconds, mi.arena / 1024, mi.fordblks / 1024,
                   mi.hblkhd / 1024);
}

}  // namespace fastrbl::loader
