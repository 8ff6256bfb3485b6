#include "loader/ip4trie_parser.h"

#include "loader/parse_util.h"
#include "zones/prefix_table.h"

namespace fastrbl::loader {

void Ip4TrieParser::start_file(ReadState& /*st*/) { default_.reset(); }

core::Status Ip4TrieParser::parse_line(std::string_view line, ReadState& st) {
  LoadDiagnostics& diag = st.diag;
  if (line[0] == ':') {  // a new default, read against the built-in one
    if (!default_.set(line, diag)) return core::Status::ok();
    return core::Status::ok();
  }

  std::string_view s = line;
  const bool excluded = s[0] == '!';
  if (excluded) s = skip_space(s.substr(1));
  auto prefix = parse_ip4_prefix(s);
  auto range = parse_ip4_range(s);
  if (!prefix || (prefix->end < s.size() && s[prefix->end] == '-') || !range ||
      (range->end < s.size() && !is_space(s[range->end]) && !is_comment(s[range->end]) &&
       s[range->end] != ':')) {
    diag.warn("invalid address");
    return core::Status::ok();
  }
  std::uint32_t first = range->first;
  if (!accept_host_part(&first, range->bits, st)) return core::Status::ok();
  const std::uint32_t mask = ip4_mask(range->bits);
  const std::uint32_t last = first | ~mask;
  if (st.max_range4 != 0 && st.max_range4 <= last - first) {
    diag.warn("too large range (%u) ignored (%u max)", last - first + 1u, st.max_range4);
    return core::Status::ok();
  }
  RawValue value = default_.value();
  std::string_view rest = skip_space(s.substr(range->end));
  if (!excluded && !rest.empty() && !is_comment(rest[0])) {
    auto v = parse_value(rest, default_.value(), diag);
    if (!v) return core::Status::ok();
    value = *v;
  }
  if (!builder_.add(first, range->bits, excluded, value.a, value.txt)) {
    std::array<char, 16> buf{};
    const std::size_t n = zones::format_ip4(first, buf);
    diag.warn("duplicated entry for %.*s/%d", static_cast<int>(n), buf.data(), range->bits);
  }
  return core::Status::ok();
}

core::Result<BuiltDataset> Ip4TrieParser::finish(ReadState& st) {
  std::unique_ptr<zones::Ip4Trie> trie = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = trie->stats();
  out.dataset = std::move(trie);
  return out;
}

}  // namespace fastrbl::loader
