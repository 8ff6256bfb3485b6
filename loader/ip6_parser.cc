#include "loader/ip6_parser.h"

#include "loader/parse_util.h"
#include "zones/prefix_table.h"

namespace fastrbl::loader {
namespace {

// What may follow an address: end of line, a blank, a comment or a value.
bool address_end(std::string_view s, std::size_t end) noexcept {
  return end >= s.size() || is_space(s[end]) || is_comment(s[end]) || s[end] == ':';
}

}  // namespace

void Ip6TrieParser::start_file(ReadState& /*st*/) { default_.reset(); }

core::Status Ip6TrieParser::parse_line(std::string_view line, ReadState& st) {
  LoadDiagnostics& diag = st.diag;
  if (line[0] == ':' && (line.size() < 2 || line[1] != ':')) {  // a new default
    if (!default_.set(line, diag)) return core::Status::ok();
    return core::Status::ok();
  }

  std::string_view s = line;
  const bool excluded = s[0] == '!';
  if (excluded) s = skip_space(s.substr(1));
  auto p = parse_ip6_cidr(s);
  if (!p || !address_end(s, p->end)) {
    diag.warn("invalid address");
    return core::Status::ok();
  }
  if (!accept_host_part(&p->addr, p->bits, st)) return core::Status::ok();
  RawValue value = default_.value();
  std::string_view rest = skip_space(s.substr(p->end));
  if (!excluded && !rest.empty() && !is_comment(rest[0])) {
    auto v = parse_value(rest, default_.value(), diag);
    if (!v) return core::Status::ok();
    value = *v;
  }
  if (!builder_.add(zones::ip6_key(p->addr), p->bits, excluded, value.a, value.txt)) {
    std::array<char, 40> buf{};
    const std::size_t n = zones::format_ip6(p->addr, buf);
    diag.warn("duplicated entry for %.*s/%d", static_cast<int>(n), buf.data(), p->bits);
  }
  return core::Status::ok();
}

core::Result<BuiltDataset> Ip6TrieParser::finish(ReadState& st) {
  std::unique_ptr<zones::Ip6Trie> trie = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = trie->stats();
  out.dataset = std::move(trie);
  return out;
}

void Ip6TSetParser::start_file(ReadState& /*st*/) {}

core::Status Ip6TSetParser::parse_line(std::string_view line, ReadState& st) {
  LoadDiagnostics& diag = st.diag;
  if (line[0] == ':') {
    if (has_value_) return core::Status::ok();  // the first default of the dataset wins
    auto v = parse_value(line, RawValue{}, diag);
    if (!v) return core::Status::ok();
    has_value_ = builder_.set_value(v->a, v->txt);
    return core::Status::ok();
  }
  std::string_view s = line;
  const bool excluded = s[0] == '!';
  if (excluded) s = skip_space(s.substr(1));
  auto p = parse_ip6_addr(s);
  if (!p || !address_end(s, p->end)) {
    diag.warn("invalid address");
    return core::Status::ok();
  }
  const zones::Ip6Key key = zones::ip6_key(p->addr);
  if (excluded) {
    if (p->bits != 128) {
      diag.warn("invalid address for exclusion (should be 128 bits)");
      return core::Status::ok();
    }
    builder_.exclude(key);
  } else {
    if (p->bits != 64) {
      diag.warn("invalid address for regular entry (should be 64 bits)");
      return core::Status::ok();
    }
    builder_.add(key.hi);
  }
  return core::Status::ok();
}

core::Result<BuiltDataset> Ip6TSetParser::finish(ReadState& st) {
  std::unique_ptr<zones::Ip6TSet> set = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = set->stats();
  out.dataset = std::move(set);
  return out;
}

}  // namespace fastrbl::loader
