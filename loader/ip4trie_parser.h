#pragma once
// Ip4TrieParser: the DatasetParser for rbldnsd's `ip4trie` type (compat §4.3).
//
// Entry lines are an IPv4 CIDR or partial prefix (`1.2.3` = /24, `127/8`, `0/0`; no
// ranges, no bare number), optionally preceded by `!` (exclusion, value ignored), then
// end of line, a blank, `#`/`;` or `:`, then an optional A+TXT value. A prefix seen
// before warns `duplicated entry for a.b.c.d/n` and is skipped (the first one wins).
// Host bits and $MAXRANGE4 are checked as for ip4set. A `:` line sets the default value
// to the end of the current file. Entries feed a zones::Ip4TrieBuilder.
// Thread safety: one load, one thread.

#include "loader/dataset_reader.h"
#include "loader/value_parser.h"
#include "zones/ip4trie.h"

#include <string>

namespace fastrbl::loader {

class Ip4TrieParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  zones::Ip4TrieBuilder builder_;
  FileDefault default_;  // the `:` line in force in this file
};

}  // namespace fastrbl::loader
