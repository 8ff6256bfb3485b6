#pragma once
// DnSetParser: the DatasetParser for rbldnsd's `dnset` type (compat §4.6, §3.3-3.5).
//
// Entry lines are `[!]name [value]`: `name` is one blank-delimited word, relative to the
// zone and lowercased, in the forms `d` (exactly d), `*.d` (strict subdomains of d) and
// `.d` (both); `\DDD`/`\c` escapes are allowed and empty labels dropped. A value must be
// separated by blanks (`*.x.com:8:t` is a name with colons in it). `!` (blanks may
// follow) makes an exclusion and its value is ignored. An empty name (`.`, `*.`, `!`) or
// one that does not parse warns "invalid domain name". A line starting with `:` sets the
// default value up to the end of the current file (each file starts again from
// 127.0.0.2 without TXT). Entries feed a zones::DnSetBuilder. Thread safety: one load,
// one thread.

#include "loader/dataset_reader.h"
#include "loader/value_parser.h"
#include "zones/dnset.h"

#include <string>

namespace fastrbl::loader {

class DnSetParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  zones::DnSetBuilder builder_;
  FileDefault default_;  // the `:` line in force in this file
  zones::DnSetBuilder::Instance default_instance_ = 0;
};

}  // namespace fastrbl::loader
