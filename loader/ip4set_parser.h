#pragma once
// Ip4SetParser: the DatasetParser for rbldnsd's `ip4set` type (compat §4, §4.1).
//
// Entry lines are an IPv4 address, partial prefix (`1.2.3` = /24), CIDR (`127/8`) or
// range (`127.0.0.1-255`, `127.16-31`, `12.0.0.1-12.0.0.5`), optionally preceded by `!`
// (exclusion, value ignored), followed by end of line, a blank, `#`/`;` or `:`, then an
// optional A+TXT value. A line starting with `:` sets the default value, which lasts to
// the end of the current file (each file starts again from 127.0.0.2 without TXT).
// Entries feed a zones::Ip4SetBuilder. Thread safety: one load, one thread.

#include "loader/dataset_reader.h"
#include "loader/value_parser.h"
#include "zones/ip4set.h"

#include <string>

namespace fastrbl::loader {

class Ip4SetParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  zones::Ip4SetBuilder builder_;
  FileDefault default_;  // the `:` line in force in this file
  zones::Ip4SetBuilder::Instance default_instance_ = 0;
};

}  // namespace fastrbl::loader
