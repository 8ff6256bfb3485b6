#pragma once
// Ip6TrieParser and Ip6TSetParser: the DatasetParsers for rbldnsd's `ip6trie` and
// `ip6tset` types (compat §4.4, §4.5). Addresses are read by parse_ip6_cidr() /
// parse_ip6_addr() (parse_util.h) and must be followed by end of line, a blank, `#`/`;`
// or `:` (`invalid address`).
//
// ip6trie: IPv6 CIDRs (`2001:db8::/32`; `2001:21ab:c000` = /48; `::1` = /128), optional
// `!`, optional A+TXT value. A line starting with `:` but not `::` sets the default value
// to the end of the file. Host bits as ip4trie (`-e` masks them), and a prefix seen before
// warns `duplicated entry for 2001:db8::/32` (the first one wins).
// ip6tset: listings are exactly four groups (a /64 without `::`), exclusions a full
// /128; no `/n`. Text after the address is ignored. Every line starting with `:` is a
// default; the first valid one of the dataset is the value of all entries.
// Thread safety: one load, one thread.

#include "loader/dataset_reader.h"
#include "loader/value_parser.h"
#include "zones/ip6trie.h"
#include "zones/ip6tset.h"

#include <string>

namespace fastrbl::loader {

class Ip6TrieParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  zones::Ip6TrieBuilder builder_;
  FileDefault default_;  // the `:` line in force in this file
};

class Ip6TSetParser final : public DatasetParser {
 public:
  zones::StringPool& pool() override { return builder_.pool(); }
  void start_file(ReadState& st) override;
  core::Status parse_line(std::string_view line, ReadState& st) override;
  core::Result<BuiltDataset> finish(ReadState& st) override;

 private:
  zones::Ip6TSetBuilder builder_;
  bool has_value_ = false;
};

}  // namespace fastrbl::loader
