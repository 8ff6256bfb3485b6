#include "loader/store_load.h"

#include "zones/image.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sys/stat.h>
#include <utility>

namespace fastrbl::loader {
namespace {

struct Parsed {
  std::vector<ZoneSpec> specs;
  std::vector<std::size_t> distinct_of;  // spec index -> index into `distinct`
  std::vector<std::size_t> distinct;     // index of the first spec of each distinct dataset
};

core::Result<Parsed> parse_specs(const std::vector<std::string>& specs) {
  Parsed p;
  for (const std::string& s : specs) {
    auto z = parse_zone_spec(s);
    if (!z.is_ok()) return z.status();
    p.specs.push_back(std::move(z.value()));
  }
  core::Status acls = check_acl_specs(p.specs);
  if (!acls.is_ok()) return acls;
  std::map<std::pair<std::string, std::string>, std::size_t> seen;
  for (std::size_t i = 0; i < p.specs.size(); ++i) {
    const ZoneSpec& z = p.specs[i];
    auto [it, added] = seen.emplace(std::make_pair(z.type, z.files_spec), p.distinct.size());
    if (added) p.distinct.push_back(i);
    p.distinct_of.push_back(it->second);
  }
  return p;
}

}  // namespace

std::string store_options(const LoadOptions& o) {
  return "t=" + std::to_string(o.default_ttl) + ":" + std::to_string(o.min_ttl) + ":" +
         std::to_string(o.max_ttl) + " e=" + (o.accept_host_bits ? "1" : "0") +
         " C=" + (o.no_gzip ? "1" : "0");
}

std::vector<std::string> source_paths(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const std::string& f : files) {
    std::error_code ec;
    std::string p = std::filesystem::absolute(f, ec).lexically_normal().string();
    out.push_back(ec ? f : std::move(p));
  }
  return out;
}

core::Result<std::vector<zones::SourceStamp>> stamp_sources(const std::vector<std::string>& files) {
  std::vector<zones::SourceStamp> out;
  for (const std::string& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) {
      const int err = errno;
      return core::Status::error("unable to open file `" + f + "': " + std::strerror(err));
    }
    zones::SourceStamp s;
    s.path = source_paths({f}).front();
    s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    s.size = static_cast<std::uint64_t>(st.st_size);
    s.inode = static_cast<std::uint64_t>(st.st_ino);
    out.push_back(std::move(s));
  }
  return out;
}

core::Result<CompileResult> compile_into_store(zones::Store& store, const std::vector<std::string>& specs,
                                               const LoadOptions& options, bool force, bool prune) {
  auto parsed = parse_specs(specs);
  if (!parsed.is_ok()) return parsed.status();
  auto cur = store.current();
  if (!cur.is_ok()) return cur.status();
  const std::optional<zones::GenerationRecord>& current = cur.value();
  const std::string opts = store_options(options);

  CompileResult result;
  std::vector<zones::DatasetToCommit> commit;
  bool changed = !current.has_value();
  std::set<const zones::StoredDataset*> named;  // records of the current generation these specs name
  for (std::size_t first : parsed.value().distinct) {
    const ZoneSpec* z = &parsed.value().specs[first];
    DatasetOrigin origin;
    origin.type = z->type;
    origin.spec = z->files_spec;
    // Stamped before reading: a file changed after this point is seen again next time.
    auto stamps = stamp_sources(z->files);
    if (!stamps.is_ok()) return stamps.status();
    const zones::StoredDataset* old =
        current ? current->find(z->type, z->files_spec, opts, source_paths(z->files)) : nullptr;
    if (old != nullptr) named.insert(old);
    if (!force && old != nullptr && old->sources == stamps.value()) {
      zones::DatasetToCommit c;
      c.record = *old;
      origin.kind = DatasetOrigin::kStored;
      origin.entries = old->entries;
      origin.image_bytes = old->image_bytes;
      commit.push_back(std::move(c));
      result.datasets.push_back(std::move(origin));
      continue;
    }
    auto loaded = load_dataset(z->type, z->files_spec, z->files, options);
    if (!loaded.is_ok()) return loaded.status();
    const zones::Dataset& ds = *loaded.value().dataset;
    origin.entries = ds.entries();
    auto image = zones::write_image(ds);
    if (!image.is_ok()) {
      origin.kind = DatasetOrigin::kParsed;
      if (old != nullptr) changed = true;  // its record goes: the type has no image format now
      result.datasets.push_back(std::move(origin));
      continue;
    }
    zones::DatasetToCommit c;
    c.record.type = z->type;
    c.record.spec = z->files_spec;
    c.record.options = opts;
    c.record.entries = ds.entries();
    c.record.sources = std::move(stamps).value();
    c.image = std::move(image).value();
    origin.kind = DatasetOrigin::kCompiled;
    origin.image_bytes = c.image.size();
    commit.push_back(std::move(c));
    result.datasets.push_back(std::move(origin));
    changed = true;
  }
  // The datasets of other command lines: carried over, or dropped with `prune`.
  if (current) {
    for (const zones::StoredDataset& d : current->datasets) {
      if (named.count(&d) != 0) continue;
      if (prune) {
        ++result.pruned;
        changed = true;
        continue;
      }
      zones::DatasetToCommit c;
      c.record = d;
      commit.push_back(std::move(c));
      ++result.kept;
    }
  }
  if (!changed) {
    result.generation = current->generation;
    return result;
  }
  auto rec = store.commit(std::move(commit));
  if (!rec.is_ok()) return rec.status();
  result.generation = rec.value().generation;
  result.committed = true;
  return result;
}

core::Result<std::vector<std::string>> stale_datasets(const zones::GenerationRecord* record,
                                                      const std::vector<std::string>& specs,
                                                      const LoadOptions& options) {
  auto parsed = parse_specs(specs);
  if (!parsed.is_ok()) return parsed.status();
  const std::string opts = store_options(options);
  std::vector<std::string> stale;
  for (std::size_t first : parsed.value().distinct) {
    const ZoneSpec& z = parsed.value().specs[first];
    const zones::StoredDataset* old =
        record != nullptr ? record->find(z.type, z.files_spec, opts, source_paths(z.files)) : nullptr;
    auto stamps = stamp_sources(z.files);
    if (old == nullptr || !stamps.is_ok() || old->sources != stamps.value())
      stale.push_back(z.type + ":" + z.files_spec);
  }
  return stale;
}

core::Result<StoreSnapshot> snapshot_from_store(zones::Store& store, const std::vector<std::string>& specs,
                                                const LoadOptions& options, bool require_current,
                                                bool parse_missing) {
  auto parsed = parse_specs(specs);
  if (!parsed.is_ok()) return parsed.status();
  const std::string opts = store_options(options);
  std::shared_ptr<zones::Generation> gen;
  {
    auto cur = store.current();
    if (!cur.is_ok()) return cur.status();
    if (cur.value().has_value()) {
      auto g = store.open_generation();
      if (!g.is_ok()) return g.status();
      gen = std::move(g).value();
    }
  }
  StoreSnapshot out;
  out.generation = gen ? gen->record().generation : 0;
  std::vector<std::shared_ptr<const zones::Dataset>> distinct;
  for (std::size_t first : parsed.value().distinct) {
    const ZoneSpec* z = &parsed.value().specs[first];
    DatasetOrigin origin;
    origin.type = z->type;
    origin.spec = z->files_spec;
    const zones::StoredDataset* rec =
        gen ? gen->record().find(z->type, z->files_spec, opts, source_paths(z->files)) : nullptr;
    if (rec != nullptr && require_current) {
      auto stamps = stamp_sources(z->files);
      if (!stamps.is_ok()) return stamps.status();
      if (stamps.value() != rec->sources)
        return core::Status::error(z->type + ":" + z->files_spec + ": the stored image (generation " +
                                   std::to_string(out.generation) + ") is older than its files");
    }
    if (rec != nullptr) {
      auto opened = gen->open_dataset(*rec);
      if (!opened.is_ok()) return opened.status();
      origin.kind = DatasetOrigin::kStored;
      origin.entries = rec->entries;
      origin.image_bytes = rec->image_bytes;
      if (opened.value().in_place) ++out.in_place;
      distinct.push_back(opened.value().dataset);
    } else if (parse_missing) {
      auto loaded = load_dataset(z->type, z->files_spec, z->files, options);
      if (!loaded.is_ok()) return loaded.status();
      origin.kind = DatasetOrigin::kParsed;
      origin.entries = loaded.value().dataset->entries();
      distinct.push_back(loaded.value().dataset);
    } else {
      return core::Status::error(z->type + ":" + z->files_spec + " is not in the store " + store.dir() +
                                 " (with options " + opts + ")");
    }
    out.datasets.push_back(std::move(origin));
  }
  std::vector<std::shared_ptr<const zones::Dataset>> datasets;
  for (std::size_t i : parsed.value().distinct_of) datasets.push_back(distinct[i]);
  out.snapshot = build_snapshot(parsed.value().specs, datasets, options, out.generation);
  return out;
}

}  // namespace fastrbl::loader
