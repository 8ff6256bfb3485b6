#pragma once
// Ip4TSetParser: the DatasetParser for rbldnsd's `ip4tset` type (compat §4.2).
//
// Entry lines are one full dotted-quad IPv4 address (no prefix, CIDR, range or `!`:
// `invalid address`), then end of line, a blank, `#`/`;` or `:`; anything after the
// address is ignored. The first valid `:` line of the whole dataset sets the value of
// every entry, earlier ones included; later `:` lines are ignored. Entries feed a
// zones::Ip4TSetBuilder. Thread safety: one load, one thread.

#include "loader/dataset_reader.h"
#include "zones/ip4tset.h"

namespace fastrbl::loader {

class Ip4TSetParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  zones::Ip4TSetBuilder builder_;
  bool has_value_ = false;
};

}  // namespace fastrbl::loader
