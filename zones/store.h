#pragma once
// Store: the LMDB environment that holds compiled dataset images per generation
// (docs/LMDB_SCHEMA.md).
//
// Two named databases: `meta` (the schema record and the current generation record) and
// `images` (one value per dataset image, keyed by the generation that wrote it and an
// index). A generation is committed in ONE write transaction: its new images, the
// generation record naming every dataset's image (new or carried over), and the deletion
// of images no longer named. LMDB's copy-on-write B-tree makes that atomic: a crash at any
// moment leaves the previous generation whole. Two more, `feed_entries` and `feed_meta`
// (schema 2), hold feed entries with provenance; feeds::FeedStore reads and writes them in
// its own transactions on env().
//
// Reading: open_generation() starts a read-only transaction and returns a Generation
// that holds it; datasets opened from it serve from the mapped image bytes and keep the
// Generation (hence the transaction, hence the pages) alive. When the last dataset of an
// old generation is released, its transaction ends and LMDB may reuse its pages. Workers
// never call LMDB: they read mapped memory through the datasets of their snapshot.
//
// The environment is opened MDB_NOTLS (a read transaction is not tied to the thread
// that began it, so a Generation may be released on any thread), with a large map (only
// address space: the file grows as pages are used) and enough reader slots; stale reader
// slots of dead processes are cleared (mdb_reader_check) at open.
//
// Ownership: a Store is shared (std::shared_ptr); Generations keep it open.
// Thread safety: Store methods may be called from any thread; LMDB allows one write
// transaction at a time (across processes, by its lock file), and commit() waits for it.

#include "core/status.h"
#include "zones/dataset.h"
#include "zones/image.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct MDB_env;
struct MDB_txn;

namespace fastrbl::zones {

/// The schema version this build reads and writes. A store with another version is
/// refused at open.
inline constexpr std::uint32_t kStoreSchemaVersion = 2;

/// A source file as it was when a dataset image was compiled from it.
struct SourceStamp {
  std::string path;  // absolute
  std::int64_t mtime_ns = 0;
  std::uint64_t size = 0;
  std::uint64_t inode = 0;
  friend bool operator==(const SourceStamp&, const SourceStamp&) = default;
};

/// Where a dataset's image lives: the generation that wrote it and its index there.
struct ImageKey {
  std::uint64_t generation = 0;
  std::uint32_t index = 0;
};

/// One dataset of a generation record.
struct StoredDataset {
  std::string type;     // "ip4set"
  std::string spec;     // the file list as written: with `type`, the dataset identity
  std::string options;  // the load options the image depends on (loader fingerprint)
  ImageKey image;
  std::uint64_t entries = 0;
  std::uint64_t image_bytes = 0;
  std::uint32_t checksum = 0;  // the image's CRC-32
  std::vector<SourceStamp> sources;
};

/// The meta record of one generation.
struct GenerationRecord {
  std::uint64_t generation = 0;
  std::int64_t committed = 0;  // unix time
  std::vector<StoredDataset> datasets;
  /// The dataset with this identity, or null: type, spec, options and the absolute paths
  /// of its sources (so that the same file list read in two directories is two datasets).
  const StoredDataset* find(std::string_view type, std::string_view spec, std::string_view options,
                            const std::vector<std::string>& paths) const noexcept;
};

/// A dataset to commit: its record, and either new image bytes or (empty bytes) the image
/// of the current generation named by record.image.
struct DatasetToCommit {
  StoredDataset record;
  std::vector<std::uint8_t> image;
};

class Generation;

class Store : public std::enable_shared_from_this<Store> {
 public:
  struct Options {
    std::string dir;
    bool read_only = false;                       // MDB_RDONLY: no schema record is written
    std::size_t map_size = std::size_t{1} << 36;  // 64 GiB of address space
    unsigned max_readers = 254;
  };

  /// Opens (creating the directory and the environment unless read_only) and checks the
  /// schema: a store written by another schema version is refused with "LMDB store DIR
  /// has schema version N; this fastrbl uses version M ...". Logs how many stale reader
  /// slots were cleared, if any.
  static core::Result<std::shared_ptr<Store>> open(const Options& options);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& dir() const noexcept { return dir_; }

  /// The current generation record, or nullopt for an empty store.
  core::Result<std::optional<GenerationRecord>> current() const;
  /// Starts a read transaction on the current generation. nullopt for an empty store.
  core::Result<std::shared_ptr<Generation>> open_generation();

  /// Commits a new generation (current + 1) in one write transaction: puts the new
  /// images, writes the record, deletes the images nobody names any more. A carried-over
  /// image must exist. `datasets` is the whole new generation: the caller carries over
  /// what it keeps. Returns the committed record.
  core::Result<GenerationRecord> commit(std::vector<DatasetToCommit> datasets);

  /// Clears reader slots of dead processes; returns how many.
  int reader_check() noexcept;

  /// Drops from this process's page tables the pages of every image opened from this
  /// store that the current generation no longer names (MADV_DONTNEED; the page cache
  /// keeps them). Safe while snapshots still read them: a read maps a page again,
  /// unchanged. A server calls it right before it publishes a new generation, so that the
  /// replaced images' pages (mapped by the queries of the old snapshot) leave its RSS
  /// before queries map the new ones, rather than when the old snapshot is retired.
  void release_unnamed_pages();

  MDB_env* env() const noexcept { return env_; }

  /// The feed provenance tables (docs/LMDB_SCHEMA.md "feed_entries", "feed_meta"), used by
  /// feeds::FeedStore in its own transactions on env(). False only for a read-only open of
  /// a store in which no writer has created them yet.
  bool has_feed_tables() const noexcept { return has_feed_tables_; }
  unsigned feed_entries_dbi() const noexcept { return feed_entries_dbi_; }
  unsigned feed_meta_dbi() const noexcept { return feed_meta_dbi_; }

 private:
  Store() = default;
  MDB_env* env_ = nullptr;
  unsigned meta_dbi_ = 0, images_dbi_ = 0;
  unsigned feed_entries_dbi_ = 0, feed_meta_dbi_ = 0;
  bool has_feed_tables_ = false;
  std::string dir_;

  // The images opened from this store whose datasets may still be alive (Generation::
  // open_dataset()), by image key: an image that a new generation carries over is not
  // opened and checked again but its dataset is reused (see open_dataset()).
  struct ImageHold;
  struct LiveImage {
    std::span<const std::uint8_t> bytes;
    std::uint32_t checksum = 0;
    std::weak_ptr<ImageHold> hold;
    std::weak_ptr<const Dataset> dataset;
  };
  std::mutex live_mu_;
  std::map<std::pair<std::uint64_t, std::uint32_t>, LiveImage> live_;  // guarded by live_mu_
  friend class Generation;
};

/// A read transaction on one committed generation, and its record. Datasets opened from
/// it hold it (shared_ptr), so the image bytes they view stay mapped and unchanged. When it
/// is destroyed, the pages of its opened images that the current generation no longer names
/// are dropped from the process's page tables (they stay in the page cache).
class Generation : public std::enable_shared_from_this<Generation> {
 public:
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  const GenerationRecord& record() const noexcept { return record_; }
  /// The image bytes of `d` (a dataset of record()), valid while this Generation lives.
  core::Result<std::span<const std::uint8_t>> image_bytes(const StoredDataset& d) const;
  /// Opens the dataset `d` from its image (checksum verified, against the record too).
  /// The checks read the image in stretches that are dropped from the page tables as they
  /// go, and the whole image afterwards (zones/image.h): opening a new generation does not
  /// map its images; queries map what they read. An image that a dataset still alive in
  /// this process was opened from (same key, same mapped bytes, same checksum: a dataset
  /// this generation carries over unchanged) is not read again: that dataset is returned,
  /// and from now on it holds this generation rather than the one it was opened from (both
  /// read transactions see the same, unchanged pages), so the older generation can end.
  core::Result<OpenedImage> open_dataset(const StoredDataset& d);

 private:
  friend class Store;
  Generation() = default;
  std::shared_ptr<Store> store_;
  MDB_txn* txn_ = nullptr;
  GenerationRecord record_;
  /// The images opened from it (open_dataset()): at destruction, those the current
  /// generation no longer names leave this process's page tables (MADV_DONTNEED).
  std::vector<std::pair<ImageKey, std::span<const std::uint8_t>>> opened_;
};

/// The default state directory when --db is not given: $STATE_DIRECTORY (systemd's
/// StateDirectory=; the first of a list) when set, else /var/lib/fastrbl if it exists or
/// can be created and is writable by this process, else $XDG_STATE_HOME/fastrbl, else
/// $HOME/.local/state/fastrbl, else /tmp/fastrbl-<uid>.
std::string default_store_dir();

}  // namespace fastrbl::zones
