#pragma once
// Loading zone specs through the LMDB store (docs/LMDB_SCHEMA.md): compile text into a new
// generation when a source changed, serve from the stored images when none did.
//
// compile_into_store() is what `fastrblctl compile` and a fastrbld start or reload with a
// store run: for every distinct dataset of the specs (type + file list, as load_snapshot()
// shares them) whose identity (type, file list, load options, absolute file paths) and
// source stamps match the current generation, the stored image is carried over without
// reading the text; every other dataset is parsed and, if its type has an image format,
// compiled into a new image. The datasets of the current generation that these specs do
// not name are carried over too (several command lines may share one store), unless
// `prune`. If anything changed, ONE write transaction commits the new generation.
//
// snapshot_from_store() builds a Snapshot whose datasets are opened from the stored images
// (served in place from the map), parsing only the datasets the store does not hold.
//
// Ownership: results share the Generation their datasets view. Thread safety: no state;
// LMDB serialises writers, also across processes.

#include "core/status.h"
#include "loader/load.h"
#include "loader/options.h"
#include "zones/snapshot.h"
#include "zones/store.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fastrbl::loader {

/// The load options an image depends on, as stored in its identity: "t=DEF:MIN:MAX e=0|1
/// C=0|1".
std::string store_options(const LoadOptions& options);

/// The files as they are now (absolute path, mtime in ns, size, inode). Error: the file's
/// name and strerror, as rbldnsd words an unreadable data file.
core::Result<std::vector<zones::SourceStamp>> stamp_sources(const std::vector<std::string>& files);
/// The absolute, normalised paths of `files` (relative ones against the current directory).
std::vector<std::string> source_paths(const std::vector<std::string>& files);

/// Where one distinct dataset of the specs came from.
struct DatasetOrigin {
  std::string type, spec;
  enum Kind {
    kStored,    // its image was current: the text was not read
    kCompiled,  // parsed and written as a new image
    kParsed,    // parsed; its type has no image format, so it is not in the store
  } kind = kStored;
  std::uint64_t entries = 0;
  std::uint64_t image_bytes = 0;
};

struct CompileResult {
  std::vector<DatasetOrigin> datasets;  // in order of first use in the specs
  std::uint64_t generation = 0;         // the store's generation afterwards
  bool committed = false;               // false: nothing changed, no transaction written
  std::size_t kept = 0;                 // datasets of other command lines carried over
  std::size_t pruned = 0;               // datasets of other command lines dropped (prune)
};

/// Parses the specs and brings the store up to date with them (see above). `force`
/// recompiles every dataset; `prune` drops the stored datasets the specs do not name.
/// Errors: a bad spec, a failed dataset load (the store is not touched), an LMDB error
/// (nothing is committed).
core::Result<CompileResult> compile_into_store(zones::Store& store, const std::vector<std::string>& specs,
                                               const LoadOptions& options, bool force = false,
                                               bool prune = false);

/// The distinct datasets of `specs` ("TYPE:SPEC", in order of first use) that
/// compile_into_store() would compile rather than carry over from `record` (null: an
/// empty store): no image with their identity, or source stamps that differ from the
/// recorded ones. A file that cannot be stat'ed makes its dataset stale (compiling it
/// reports the error). Reads no data file. Errors: a bad spec.
core::Result<std::vector<std::string>> stale_datasets(const zones::GenerationRecord* record,
                                                      const std::vector<std::string>& specs,
                                                      const LoadOptions& options);

struct StoreSnapshot {
  std::shared_ptr<const zones::Snapshot> snapshot;
  std::vector<DatasetOrigin> datasets;  // kStored: opened from the store; kParsed: from text
  std::uint64_t generation = 0;
  std::size_t in_place = 0;  // stored datasets served from the map in place
};

/// Opens the current generation and builds the snapshot of `specs`: each distinct dataset
/// from its stored image (the identity must match; stamps are compared only when
/// `require_current`, and a stale image is then an error), the others parsed from text
/// when `parse_missing`, else an error "TYPE:SPEC is not in the store DIR". Checksums are
/// verified.
core::Result<StoreSnapshot> snapshot_from_store(zones::Store& store, const std::vector<std::string>& specs,
                                                const LoadOptions& options, bool require_current,
                                                bool parse_missing);

}  // namespace fastrbl::loader
