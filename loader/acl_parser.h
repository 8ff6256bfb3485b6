#pragma once
// AclParser: the DatasetParser for rbldnsd's `acl` type (compat §8.1).
//
// Entry lines are an IPv4 CIDR or prefix (`10/8`, `127.0.0`, `192.0.2.1`; no ranges; /0
// allowed) or an IPv6 CIDR (`2001:db8::/32`; without `/`, a prefix written without `::`
// gets 16 bits per group, one with `::` is /128), then optionally an action or a value:
// `:ignore`/`:blackhole`, `:refuse`, `:empty`, `:pass` (also written `=kw`, any case), or
// an A+TXT value (`:A:TXT`, `:A`, bare text) that makes the entry an always-listed
// template. Nothing after the address means the default in force: a line starting with
// `:` (not `::`) or `=` sets it until the end of the file; each file starts from ignore.
// The same prefix twice: the first wins, with rbldnsd's "duplicated entry" warning.
// Host bits need -e; $MAXRANGE4 limits IPv4 entries. $SOA and $NS have no effect (rbldnsd
// rejects them in an acl; the reader cannot, so finish() drops them).
// Entries feed a zones::AclBuilder. Thread safety: one load, one thread.

#include "loader/dataset_reader.h"
#include "loader/value_parser.h"
#include "zones/acl.h"

#include <optional>
#include <string_view>

namespace fastrbl::loader {

class AclParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  // An action keyword or an A+TXT template; nullopt (after a warning) to skip the line.
  std::optional<zones::AclRule> parse_rule(std::string_view text, LoadDiagnostics& diag);

  zones::AclBuilder builder_;
  zones::AclRule default_;
  RawValue default_raw_;  // the default's A+TXT when it is a template, else the built-in
};

}  // namespace fastrbl::loader
