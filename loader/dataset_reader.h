#pragma once
// read_dataset(): loads one rbldnsd dataset from its files, for any dataset type.
//
// This is rbldnsd's loaddataset/readdslines/ds_special: the files are read in order
// (DataFile), each line is classified (empty, comment, special, entry), the specials of
// compat §3.2 ($SOA, $NS/$NAMESERVER, $TTL, $MAXRANGE4, $0..$9, $=, $TIMESTAMP, in the
// spellings `$X`, `#$X`, `;$X`, `:$X`) are handled here for every type, and entry lines
// go to the type's DatasetParser, which builds the index. A malformed line is a warning
// and is skipped; a missing or unreadable file, a gzip error, a file that changed while
// being read or a $TIMESTAMP in the future fails the whole load.
//
// Adding a dataset type means writing a DatasetParser; the reader does not change.
// Ownership: the parser is borrowed for the call. Thread safety: one load per thread;
// different datasets may load on different threads at once.

#include "core/status.h"
#include "loader/data_file.h"
#include "loader/options.h"
#include "zones/dataset.h"
#include "zones/string_pool.h"

#include <array>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::loader {

/// What one dataset load shares between the reader and the type's parser.
struct ReadState {
  ReadState(const LoadOptions& opts, LoadDiagnostics& d) : options(opts), diag(d) {}
  const LoadOptions& options;
  LoadDiagnostics& diag;
  /// Specials read so far. meta.ttl is the $TTL in force at this line (the last one
  /// once all files are read, which is what A/TXT records use).
  zones::DatasetMeta meta;
  /// $MAXRANGE4 in force: the largest number of addresses an IPv4 entry may cover
  /// (0: no limit). Lasts for the rest of the load, across files.
  std::uint32_t max_range4 = 0;
  /// The time $TIMESTAMP is compared with.
  std::time_t now = 0;
};

/// rbldnsd's rule for the host part of a prefix: with -e the host bits are masked off;
/// without it a non-zero host part is the warning "invalid range (non-zero host part)" and
/// the entry is skipped (false).
bool accept_host_part(std::uint32_t* addr, int bits, ReadState& st);
bool accept_host_part(std::array<std::uint8_t, 16>* addr, int bits, ReadState& st);

/// A dataset built by a parser, with its rbldnsd statistics text ("e32/24/16/8=...").
struct BuiltDataset {
  std::shared_ptr<zones::Dataset> dataset;
  std::string stats;
};

enum class SpecialResult {
  kOk,       // handled (or silently ignored, as rbldnsd ignores a second $SOA)
  kInvalid,  // "invalid or unrecognized special entry"
};

/// One dataset type's line parser and index builder (rbldnsd's dst_startfn, dst_linefn
/// and dst_finishfn).
class DatasetParser {
 public:
  virtual ~DatasetParser() = default;
  /// Storage owned by the dataset being built; $0..$9 and $= texts are interned here
  /// so that DatasetMeta::txt can point into it.
  virtual zones::StringPool& pool() = 0;
  /// Called before each file of the dataset.
  virtual void start_file(ReadState& st) = 0;
  /// One entry line: stripped, non-empty, neither a comment nor a special. Bad lines
  /// warn through st.diag and return OK; an error Status aborts the load.
  virtual core::Status parse_line(std::string_view line, ReadState& st) = 0;
  /// `$DATASET args`: only the combined type accepts it; others answer kInvalid. An
  /// error Status aborts the load.
  virtual core::Result<SpecialResult> dataset_special(std::string_view args, ReadState& st);
  /// After the last file: builds the dataset. st.meta is final (type, spec, ttl,
  /// soa, ns, txt, stamp, expires).
  virtual core::Result<BuiltDataset> finish(ReadState& st) = 0;
};

/// A loaded dataset and what was read to make it.
struct LoadedDataset {
  std::shared_ptr<const zones::Dataset> dataset;
  std::vector<FileStamp> files;  // in spec order, as read
  std::string stats;
};

/// Loads the dataset `type:spec` from `files` (in order) through `parser`. Logs the
/// warnings, then "TYPE:SPEC: N more warnings suppressed" when more than five, then
/// rbldnsd's line "TYPE:SPEC: YYYYMMDD HHMMSS: <stats>" (newest mtime, UTC).
/// Errors carry rbldnsd's text with `file NAME(LINE): ` and are not logged here.
/// Requires: !files.empty().
core::Result<LoadedDataset> read_dataset(std::string_view type, std::string_view spec,
                                         const std::vector<std::string>& files, DatasetParser& parser,
                                         const LoadOptions& options);

}  // namespace fastrbl::loader
