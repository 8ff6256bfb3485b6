#include "zones/store.h"

#include "core/log.h"
#include "zones/lmdb_util.h"

#include <lmdb.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iterator>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace fastrbl::zones {
namespace {

constexpr std::string_view kSchemaKey = "schema";
constexpr std::string_view kCurrentKey = "current";
constexpr std::uint32_t kByteOrderMark = 0x01020304;
constexpr std::string_view kSchemaName = "fastrbl-lmdb";

using lmdb::bytes_of;
using lmdb::lmdb_error;
using lmdb::TxnGuard;
using lmdb::val_of;

std::array<std::uint8_t, 12> image_key(const ImageKey& k) noexcept {
  std::array<std::uint8_t, 12> out{};
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(k.generation >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    out[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(k.index >> (24 - 8 * i));
  return out;
}

std::vector<std::uint8_t> encode_record(const GenerationRecord& r) {
  ByteWriter w;
  w.u64(r.generation);
  w.u64(static_cast<std::uint64_t>(r.committed));
  w.u32(static_cast<std::uint32_t>(r.datasets.size()));
  for (const StoredDataset& d : r.datasets) {
    w.str(d.type);
    w.str(d.spec);
    w.str(d.options);
    w.u64(d.image.generation);
    w.u32(d.image.index);
    w.u64(d.entries);
    w.u64(d.image_bytes);
    w.u32(d.checksum);
    w.u32(static_cast<std::uint32_t>(d.sources.size()));
    for (const SourceStamp& s : d.sources) {
      w.str(s.path);
      w.u64(static_cast<std::uint64_t>(s.mtime_ns));
      w.u64(s.size);
      w.u64(s.inode);
    }
  }
  const auto b = w.bytes();
  return {b.begin(), b.end()};
}

core::Result<GenerationRecord> decode_record(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes);
  GenerationRecord rec;
  rec.generation = r.u64();
  rec.committed = static_cast<std::int64_t>(r.u64());
  const std::uint32_t n = r.u32();
  for (std::uint32_t i = 0; i < n && !r.failed(); ++i) {
    StoredDataset d;
    d.type = std::string(r.str());
    d.spec = std::string(r.str());
    d.options = std::string(r.str());
    d.image.generation = r.u64();
    d.image.index = r.u32();
    d.entries = r.u64();
    d.image_bytes = r.u64();
    d.checksum = r.u32();
    const std::uint32_t ns = r.u32();
    for (std::uint32_t k = 0; k < ns && !r.failed(); ++k) {
      SourceStamp s;
      s.path = std::string(r.str());
      s.mtime_ns = static_cast<std::int64_t>(r.u64());
      s.size = r.u64();
      s.inode = r.u64();
      d.sources.push_back(std::move(s));
    }
    rec.datasets.push_back(std::move(d));
  }
  if (r.failed() || !r.at_end())
    return core::Status::error("LMDB store: the generation record does not parse");
  return rec;
}

std::vector<std::uint8_t> encode_schema() {
  ByteWriter w;
  w.str(kSchemaName);
  w.u32(kStoreSchemaVersion);
  w.u32(kImageFormat);
  w.u32(kByteOrderMark);
  const auto b = w.bytes();
  return {b.begin(), b.end()};
}

core::Result<std::optional<GenerationRecord>> read_current(MDB_txn* txn, unsigned meta_dbi) {
  MDB_val k = val_of(kCurrentKey), v{};
  const int rc = ::mdb_get(txn, meta_dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<GenerationRecord>();
  if (rc != 0) return lmdb_error("reading the generation record", rc);
  auto rec = decode_record(bytes_of(v));
  if (!rec.is_ok()) return rec.status();
  return std::optional<GenerationRecord>(std::move(rec).value());
}

bool writable_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return !ec && ::access(dir.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

const StoredDataset* GenerationRecord::find(std::string_view type, std::string_view spec,
                                            std::string_view options,
                                            const std::vector<std::string>& paths) const noexcept {
  for (const StoredDataset& d : datasets) {
    if (d.type != type || d.spec != spec || d.options != options || d.sources.size() != paths.size())
      continue;
    bool same = true;
    for (std::size_t i = 0; i < paths.size() && same; ++i) same = d.sources[i].path == paths[i];
    if (same) return &d;
  }
  return nullptr;
}

std::string default_store_dir() {
  // systemd's StateDirectory= (a colon-separated list: the first).
  if (const char* sd = std::getenv("STATE_DIRECTORY"); sd != nullptr && sd[0] == '/') {
    const std::string_view v(sd);
    return std::string(v.substr(0, v.find(':')));
  }
  if (writable_dir("/var/lib/fastrbl")) return "/var/lib/fastrbl";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && x[0] == '/')
    return std::string(x) + "/fastrbl";
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] == '/' && std::strcmp(h, "/") != 0)
    return std::string(h) + "/.local/state/fastrbl";
  return "/tmp/fastrbl-" + std::to_string(::getuid());
}

// ---------------------------------------------------------------------------------------
// Store

core::Result<std::shared_ptr<Store>> Store::open(const Options& options) {
  std::shared_ptr<Store> s(new Store());
  s->dir_ = options.dir;
  if (!options.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec)
      return core::Status::error("LMDB store " + options.dir +
                                 ": cannot create the directory: " + ec.message());
  }
  int rc = ::mdb_env_create(&s->env_);
  if (rc != 0) return lmdb_error("mdb_env_create", rc);
  ::mdb_env_set_maxdbs(s->env_, 8);
  ::mdb_env_set_maxreaders(s->env_, options.max_readers);
  ::mdb_env_set_mapsize(s->env_, options.map_size);
  const unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0u);
  rc = ::mdb_env_open(s->env_, options.dir.c_str(), flags, 0640);
  if (rc != 0) return core::Status::error("LMDB store " + options.dir + ": " + ::mdb_strerror(rc));

  if (const int dead = s->reader_check(); dead > 0)
    core::log_message(core::LogLevel::kInfo, "LMDB store %s: cleared %d stale reader slot(s)",
                      options.dir.c_str(), dead);

  TxnGuard txn;
  rc = ::mdb_txn_begin(s->env_, nullptr, options.read_only ? MDB_RDONLY : 0u, &txn.txn);
  if (rc != 0) return lmdb_error("mdb_txn_begin", rc);
  const unsigned create = options.read_only ? 0u : static_cast<unsigned>(MDB_CREATE);
  MDB_dbi meta = 0, images = 0;
  rc = ::mdb_dbi_open(txn.txn, "meta", create, &meta);
  if (rc == MDB_NOTFOUND)
    return core::Status::error("LMDB store " + options.dir +
                               " is empty (compile it first: fastrblctl compile)");
  if (rc != 0) return lmdb_error("opening the meta database", rc);
  rc = ::mdb_dbi_open(txn.txn, "images", create, &images);
  if (rc != 0) return lmdb_error("opening the images database", rc);

  const std::vector<std::uint8_t> want = encode_schema();
  MDB_val k = val_of(kSchemaKey), v{};
  rc = ::mdb_get(txn.txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    if (options.read_only)
      return core::Status::error("LMDB store " + options.dir +
                                 " is empty (compile it first: fastrblctl compile)");
    MDB_val nv = val_of(want);
    rc = ::mdb_put(txn.txn, meta, &k, &nv, 0);
    if (rc != 0) return lmdb_error("writing the schema record", rc);
  } else if (rc != 0) {
    return lmdb_error("reading the schema record", rc);
  } else {
    ByteReader r(bytes_of(v));
    const std::string_view name = r.str();
    const std::uint32_t version = r.u32();
    const std::uint32_t image_format = r.u32();
    const std::uint32_t bom = r.u32();
    if (r.failed() || name != kSchemaName)
      return core::Status::error("LMDB store " + options.dir + " is not a fastrbl store (no schema record)");
    // Images are derived data: those of an older image format (an older build) are
    // dropped and compiled again, keeping the feed tables, which are not derived. A newer
    // format, another schema, or a read-only open is refused and left untouched.
    const bool older_images = version == kStoreSchemaVersion && image_format < kImageFormat &&
                              bom == kByteOrderMark && !options.read_only;
    if (older_images) {
      MDB_stat st{};
      const std::size_t dropped = ::mdb_stat(txn.txn, images, &st) == 0 ? st.ms_entries : 0;
      rc = ::mdb_drop(txn.txn, images, 0);
      if (rc != 0)
        return lmdb_error("dropping the images of image format " + std::to_string(image_format), rc);
      MDB_val ck = val_of(kCurrentKey);
      rc = ::mdb_del(txn.txn, meta, &ck, nullptr);
      if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("removing the generation record", rc);
      MDB_val nv = val_of(want);
      rc = ::mdb_put(txn.txn, meta, &k, &nv, 0);
      if (rc != 0) return lmdb_error("writing the schema record", rc);
      core::log_message(core::LogLevel::kInfo,
                        "LMDB store %s: image format %u was written by an older fastrbl: %zu image(s) "
                        "dropped, the datasets are compiled again (feed entries kept)",
                        options.dir.c_str(), static_cast<unsigned>(image_format), dropped);
    } else if (version != kStoreSchemaVersion || image_format != kImageFormat) {
      return core::Status::error(
          "LMDB store " + options.dir + " has schema version " + std::to_string(version) + " (image format " +
          std::to_string(image_format) + "); this fastrbl uses schema version " +
          std::to_string(kStoreSchemaVersion) + " (image format " + std::to_string(kImageFormat) +
          "): recompile into a new directory (fastrblctl compile --db DIR) or remove this one");
    }
    if (bom != kByteOrderMark)
      return core::Status::error("LMDB store " + options.dir +
                                 " was written on a machine of another byte order");
  }
  // The feed tables (schema 2): opened after the schema check, so that an older store is
  // refused before anything is created in it.
  rc = ::mdb_dbi_open(txn.txn, "feed_entries", create, &s->feed_entries_dbi_);
  if (rc == 0) rc = ::mdb_dbi_open(txn.txn, "feed_meta", create, &s->feed_meta_dbi_);
  if (rc == 0) {
    s->has_feed_tables_ = true;
  } else if (rc != MDB_NOTFOUND || !options.read_only) {
    return lmdb_error("opening the feed tables", rc);
  }
  rc = txn.commit();
  if (rc != 0) return lmdb_error("committing the schema", rc);
  s->meta_dbi_ = meta;
  s->images_dbi_ = images;
  return s;
}

// What a dataset opened from the store holds: the generation whose read transaction keeps
// its pages valid. Generation::open_dataset() moves it to a newer generation that carries
// the same image over.
struct Store::ImageHold {
  std::mutex mu;
  std::shared_ptr<Generation> generation;  // guarded by mu
};

void Store::release_unnamed_pages() {
  auto cur = current();
  if (!cur.is_ok() || !cur.value()) return;
  std::set<std::pair<std::uint64_t, std::uint32_t>> named;
  for (const StoredDataset& d : cur.value()->datasets) named.emplace(d.image.generation, d.image.index);
  const std::lock_guard<std::mutex> lock(live_mu_);
  for (auto it = live_.begin(); it != live_.end();) {
    if (it->second.dataset.expired()) {
      it = live_.erase(it);
      continue;
    }
    if (named.count(it->first) == 0) release_pages(it->second.bytes);
    ++it;
  }
}

Store::~Store() {
  if (env_ != nullptr) ::mdb_env_close(env_);
}

int Store::reader_check() noexcept {
  int dead = 0;
  if (::mdb_reader_check(env_, &dead) != 0) return 0;
  return dead;
}

core::Result<std::optional<GenerationRecord>> Store::current() const {
  TxnGuard txn;
  const int rc = ::mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn.txn);
  if (rc != 0) return lmdb_error("mdb_txn_begin", rc);
  return read_current(txn.txn, meta_dbi_);
}

core::Result<std::shared_ptr<Generation>> Store::open_generation() {
  std::shared_ptr<Generation> g(new Generation());
  g->store_ = shared_from_this();
  int rc = ::mdb_txn_begin(env_, nullptr, MDB_RDONLY, &g->txn_);
  if (rc == MDB_READERS_FULL && reader_check() > 0) rc = ::mdb_txn_begin(env_, nullptr, MDB_RDONLY, &g->txn_);
  if (rc != 0) {
    g->txn_ = nullptr;
    return lmdb_error("mdb_txn_begin (read)", rc);
  }
  auto rec = read_current(g->txn_, meta_dbi_);
  if (!rec.is_ok()) return rec.status();
  if (!rec.value())
    return core::Status::error("LMDB store " + dir_ + " has no generation yet (fastrblctl compile)");
  g->record_ = std::move(*rec.value());
  return g;
}

core::Result<GenerationRecord> Store::commit(std::vector<DatasetToCommit> datasets) {
  TxnGuard txn;
  int rc = ::mdb_txn_begin(env_, nullptr, 0, &txn.txn);
  if (rc != 0) return lmdb_error("mdb_txn_begin (write)", rc);
  auto cur = read_current(txn.txn, meta_dbi_);
  if (!cur.is_ok()) return cur.status();
  GenerationRecord rec;
  rec.generation = cur.value() ? cur.value()->generation + 1 : 1;
  rec.committed = static_cast<std::int64_t>(std::time(nullptr));
  std::set<std::array<std::uint8_t, 12>> keep;
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    DatasetToCommit& d = datasets[i];
    if (!d.image.empty()) {
      d.record.image = {rec.generation, static_cast<std::uint32_t>(i)};
      d.record.image_bytes = d.image.size();
      d.record.checksum = image_checksum(d.image);
      const auto key = image_key(d.record.image);
      MDB_val k = val_of(key);
      MDB_val v{d.image.size(), nullptr};
      rc = ::mdb_put(txn.txn, images_dbi_, &k, &v, MDB_RESERVE);
      if (rc != 0) return lmdb_error("writing the image of " + d.record.type + ":" + d.record.spec, rc);
      std::memcpy(v.mv_data, d.image.data(), d.image.size());
      std::vector<std::uint8_t>().swap(d.image);  // keep the peak low with many datasets
    } else {
      const auto key = image_key(d.record.image);
      MDB_val k = val_of(key), v{};
      rc = ::mdb_get(txn.txn, images_dbi_, &k, &v);
      if (rc != 0)
        return lmdb_error("finding the carried-over image of " + d.record.type + ":" + d.record.spec, rc);
    }
    keep.insert(image_key(d.record.image));
    rec.datasets.push_back(std::move(d.record));
  }
  // Images no generation names any more: their pages are free once no reader holds them.
  MDB_cursor* cur_images = nullptr;
  rc = ::mdb_cursor_open(txn.txn, images_dbi_, &cur_images);
  if (rc != 0) return lmdb_error("mdb_cursor_open", rc);
  MDB_val k{}, v{};
  for (rc = ::mdb_cursor_get(cur_images, &k, &v, MDB_FIRST); rc == 0;
       rc = ::mdb_cursor_get(cur_images, &k, &v, MDB_NEXT)) {
    std::array<std::uint8_t, 12> key{};
    if (k.mv_size == key.size()) std::memcpy(key.data(), k.mv_data, key.size());
    if (k.mv_size != key.size() || keep.count(key) == 0) {
      const int drc = ::mdb_cursor_del(cur_images, 0);
      if (drc != 0) {
        ::mdb_cursor_close(cur_images);
        return lmdb_error("deleting an old image", drc);
      }
    }
  }
  ::mdb_cursor_close(cur_images);
  if (rc != MDB_NOTFOUND) return lmdb_error("walking the images", rc);
  const std::vector<std::uint8_t> enc = encode_record(rec);
  MDB_val ck = val_of(kCurrentKey), cv = val_of(enc);
  rc = ::mdb_put(txn.txn, meta_dbi_, &ck, &cv, 0);
  if (rc != 0) return lmdb_error("writing the generation record", rc);
  rc = txn.commit();
  if (rc != 0) return lmdb_error("commit", rc);
  return rec;
}

// ---------------------------------------------------------------------------------------
// Generation

// The pages of this generation's images stay in the process's page tables (RSS, as
// RssFile) after its last reader is gone, although no snapshot reads them any more: a
// long-running server that reloads would end up with every image it ever served counted
// in its RSS. So the images this generation opened that the current generation no longer
// names are dropped from the page tables (MADV_DONTNEED on the read-only shared map: the
// page cache keeps them; a later read would fault them in again, unchanged). Only whole
// pages inside an image are dropped.
Generation::~Generation() {
  if (!opened_.empty() && store_ != nullptr) {
    std::set<std::pair<std::uint64_t, std::uint32_t>> still;
    auto cur = store_->current();
    if (cur.is_ok() && cur.value())
      for (const StoredDataset& d : cur.value()->datasets) still.emplace(d.image.generation, d.image.index);
    for (const auto& [key, bytes] : opened_)
      if (cur.is_ok() && still.count({key.generation, key.index}) == 0) release_pages(bytes);
  }
  if (txn_ != nullptr) ::mdb_txn_abort(txn_);
}

core::Result<std::span<const std::uint8_t>> Generation::image_bytes(const StoredDataset& d) const {
  const auto key = image_key(d.image);
  MDB_val k = val_of(key), v{};
  const int rc = ::mdb_get(txn_, store_->images_dbi_, &k, &v);
  if (rc != 0) return lmdb_error("reading the image of " + d.type + ":" + d.spec, rc);
  return bytes_of(v);
}

core::Result<OpenedImage> Generation::open_dataset(const StoredDataset& d) {
  auto bytes = image_bytes(d);
  if (!bytes.is_ok()) return bytes.status();
  const std::string name = d.type + ":" + d.spec;
  const std::pair<std::uint64_t, std::uint32_t> key{d.image.generation, d.image.index};
  {
    // Carried over from a generation whose dataset is still alive: the same pages, checked
    // when they were opened, which LMDB does not change while a transaction sees them.
    std::shared_ptr<Store::ImageHold> hold;
    std::shared_ptr<const Dataset> dataset;
    std::shared_ptr<Generation> previous;  // released after the locks
    {
      const std::lock_guard<std::mutex> lock(store_->live_mu_);
      auto it = store_->live_.find(key);
      if (it != store_->live_.end() && it->second.bytes.data() == bytes.value().data() &&
          it->second.bytes.size() == bytes.value().size() && it->second.bytes.size() == d.image_bytes &&
          it->second.checksum == d.checksum) {
        hold = it->second.hold.lock();
        dataset = it->second.dataset.lock();
      }
      if (hold != nullptr && dataset != nullptr) {
        const std::lock_guard<std::mutex> hold_lock(hold->mu);
        previous = std::exchange(hold->generation, shared_from_this());
      }
    }
    if (hold != nullptr && dataset != nullptr) {
      opened_.emplace_back(d.image, bytes.value());
      OpenedImage reused;
      reused.dataset = std::move(dataset);
      reused.in_place = true;
      return reused;
    }
  }
  if (bytes.value().size() != d.image_bytes || image_checksum(bytes.value()) != d.checksum)
    return core::Status::error(name +
                               ": the stored image does not match its generation record (corrupted store)");
  auto hold = std::make_shared<Store::ImageHold>();
  hold->generation = shared_from_this();
  auto opened = open_image(bytes.value(), hold, true);
  if (!opened.is_ok()) return core::Status::error(name + ": " + std::string(opened.status().message()));
  opened_.emplace_back(d.image, bytes.value());
  if (opened.value().in_place) {
    const std::lock_guard<std::mutex> lock(store_->live_mu_);
    for (auto it = store_->live_.begin(); it != store_->live_.end();)
      it = it->second.dataset.expired() ? store_->live_.erase(it) : std::next(it);
    store_->live_[key] = Store::LiveImage{bytes.value(), d.checksum, hold, opened.value().dataset};
  }
  return opened;
}

}  // namespace fastrbl::zones
