#pragma once
// Loading rbldnsd zone specs (`zone:type:file[,file...]`) into an immutable Snapshot.
//
// The entry point for a server (re)load is load_snapshot(): it parses every spec, loads
// each distinct dataset once (specs with the same type AND the same file-list string
// share one dataset, as in rbldnsd), then build_snapshot() assembles the zones in
// command-line order: datasets in spec order, SOA from the first dataset that has a
// $SOA (serial 0 becomes the zone stamp, the newest mtime over all its files), NS from
// the first dataset with $NS (deduplicated, at most 32), glue for NS names that lie in a
// served zone (looked up as A queries against that zone's datasets), flags, stamp, and
// `serviced` false when a $TIMESTAMP expiry has passed. The pieces are public so that
// a reload can reuse unchanged datasets.
//
// Logging: dataset warnings and rbldnsd's per-dataset info line are logged while
// loading; zone warnings ("no glue record(s) ...") while building. Errors are returned,
// not logged: the message names the file and line where there is one, in rbldnsd's words.
//
// Ownership: results are shared_ptrs to immutable objects. Thread safety: the functions
// keep no state; one call per thread, any number of threads.

#include "core/dname.h"
#include "core/status.h"
#include "loader/dataset_reader.h"
#include "loader/options.h"
#include "zones/snapshot.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::loader {

/// One parsed `zone:type:file[,file...]` command-line argument.
struct ZoneSpec {
  core::Name zone;                 // lowercased
  std::string type;                // "ip4set"
  std::string files_spec;          // the file list as written: with `type`, the dataset's identity
  std::vector<std::string> files;  // split on ',' and ':', empty names dropped
};

/// Parses a zone spec. Errors, as rbldnsd words them: "invalid zone spec `x'",
/// "invalid domain name `x'", "invalid zone data specification `ip4set'",
/// "unknown dataset type `foo'", "missing filenames for ip4set",
/// "missing domain name in `:ip4set:f'".
core::Result<ZoneSpec> parse_zone_spec(std::string_view spec);

/// rbldnsd's checks of acl specs, in its words: "repeated ACL definition for zone `x'",
/// "global acl specified more than once", "missing data for zone `x'" (a zone that has
/// only an acl).
core::Status check_acl_specs(const std::vector<ZoneSpec>& specs);

/// The parser for a dataset type; the errors of parse_zone_spec for unknown or
/// unsupported types.
core::Result<std::unique_ptr<DatasetParser>> make_parser(std::string_view type);

/// Loads one dataset (see read_dataset() for logging and errors).
core::Result<LoadedDataset> load_dataset(std::string_view type, std::string_view files_spec,
                                         const std::vector<std::string>& files, const LoadOptions& options);

/// Assembles the zones. `datasets[i]` is the dataset of `specs[i]`, or null when it has
/// never loaded: its zone is then not serviced (SERVFAIL) and rbldnsd's "zone X: not all
/// datasets are loaded, zone will not be serviced" is logged; a null global acl does that
/// to every zone. Requires: specs.size() == datasets.size().
std::shared_ptr<const zones::Snapshot> build_snapshot(
    const std::vector<ZoneSpec>& specs, const std::vector<std::shared_ptr<const zones::Dataset>>& datasets,
    const LoadOptions& options, std::uint64_t generation = 0);

/// Parses `specs`, loads every distinct dataset once, in order of first appearance, and
/// builds the snapshot. Fails on the first error (bad spec, then failed dataset load).
core::Result<std::shared_ptr<const zones::Snapshot>> load_snapshot(const std::vector<std::string>& specs,
                                                                   const LoadOptions& options,
                                                                   std::uint64_t generation = 0);

}  // namespace fastrbl::loader
