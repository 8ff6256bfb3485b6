#pragma once
// CombinedParser: the DatasetParser for rbldnsd's `combined` type (compat §4.8).
//
// The file is a common section, then `$DATASET type[:name] subzone...` sections. Each
// section's lines go to a nested parser made by make_parser(), so every type fastrbl
// loads can be nested, except `combined` and `acl` (fatal: "dataset type `acl' cannot be used inside
// `combined'"; an unknown type is fatal too: "unknown dataset type `foo'"). A non-special line before the
// first $DATASET is fatal ("invalid/unrecognized entry - specify $DATASET line"); a $DATASET without subzones
// warns "no subzone(s) specified for dataset, data will be ignored". `@` names the zone itself; a word
// starting with
// `#` or `;` ends the subzone list; the name is cut at 20 characters.
//
// Specials are read by the DatasetReader into the combined dataset's meta, so $SOA/$NS
// anywhere apply to the command-line zone. Per section: the TTL starts at the common
// section's $TTL and a $TTL inside the section is that subset's; $n/$= start as a copy
// of the common section's when $DATASET is read (a subset cannot redefine those, as the
// first definition wins). Each finished subset logs rbldnsd's
// "combined:SPEC:type[:name]: <stats>" line; finish() returns "subzones=N datasets=M".
// Thread safety: one load, one thread.

#include "loader/dataset_reader.h"
#include "zones/combined.h"

#include <memory>
#include <string>
#include <vector>

namespace fastrbl::loader {

class CombinedParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return pool_; }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<SpecialResult> dataset_special(std::string_view args, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  struct Section {
    std::string type, name;
    std::vector<std::vector<std::uint8_t>> subzones;
    std::unique_ptr<DatasetParser> parser;
    std::unique_ptr<ReadState> state;
  };
  core::Status finish_section(ReadState& st);
  void sync(ReadState& st);

  zones::StringPool pool_;
  bool started_ = false;          // a $DATASET was seen
  std::uint32_t common_ttl_ = 0;  // the common section's TTL
  zones::TxtVars common_txt_;     // the common section's $n / $=
  std::unique_ptr<Section> cur_;
  std::vector<zones::Combined::Subzone> subzones_;
  std::size_t datasets_ = 0;
};

}  // namespace fastrbl::loader
