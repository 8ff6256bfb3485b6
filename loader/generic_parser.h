#pragma once
// GenericParser: the DatasetParser for rbldnsd's `generic` type (compat §4.7).
//
// One record per line: `name [ttl] [IN] type data`. `name` is relative to the zone and
// lowercased (`@` followed by a blank is the apex); `ttl` is present when the token
// starts with a digit (0: the dataset TTL; clamped by -t min/max; omitted: the $TTL in
// force on this line). Types, in any case: `A` (inet_aton's partial forms, trailing text
// ignored), `TXT` (the rest of the line; surrounding quotes removed only when both are
// there; no `$` substitution; over 255 bytes cut with a warning), `MX pref target`.
// Anything else warns "invalid/unrecognized entry" and skips the line.
//
// As the reference binary does (found by probing it; the compat page does not say so):
// a TTL token that starts with a digit but does not parse (`1x`, 2^32), an MX without a
// target, an MX target that is not a name, or text after the MX target abort the whole
// load. rbldnsd prints no message for them; ours is "invalid/unrecognized entry".
// Thread safety: one load, one thread.

#include "loader/dataset_reader.h"
#include "zones/generic.h"

namespace fastrbl::loader {

class GenericParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& /*st*/) override {}
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  zones::GenericBuilder builder_;
};

}  // namespace fastrbl::loader
