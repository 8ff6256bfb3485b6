#include "loader/ip4set_parser.h"

#include "loader/parse_util.h"

namespace fastrbl::loader {

void Ip4SetParser::start_file(ReadState& /*st*/) {
  default_.reset();
  default_instance_ = builder_.default_instance();
}

core::Status Ip4SetParser::parse_line(std::string_view line, ReadState& st) {
  LoadDiagnostics& diag = st.diag;
  if (line[0] == ':') {  // a new default, read against the built-in one
    if (!default_.set(line, diag)) return core::Status::ok();
    default_instance_ = builder_.add_value(default_.value().a, default_.value().txt);
    return core::Status::ok();
  }

  std::string_view s = line;
  const bool excluded = s[0] == '!';
  if (excluded) s = skip_space(s.substr(1));
  auto range = parse_ip4_range(s);
  // rbldnsd refuses /0 here (ip4range returns 0 bits, taken as failure).
  if (!range || range->bits == 0 ||
      (range->end < s.size() && !is_space(s[range->end]) && !is_comment(s[range->end]) &&
       s[range->end] != ':')) {
    diag.warn("invalid address");
    return core::Status::ok();
  }
  // A range reports 32 bits, so only CIDRs and prefixes can have host bits.
  std::uint32_t first = range->first;
  if (!accept_host_part(&first, range->bits, st)) return core::Status::ok();
  const std::uint32_t last = range->last;
  if (st.max_range4 != 0 && st.max_range4 <= last - first) {
    // As rbldnsd, the count is 32-bit: the whole address space prints as 0.
    diag.warn("too large range (%u) ignored (%u max)", last - first + 1u, st.max_range4);
    return core::Status::ok();
  }
  if (excluded) {
    builder_.exclude(first, last);
    return core::Status::ok();
  }
  std::string_view rest = skip_space(s.substr(range->end));
  zones::Ip4SetBuilder::Instance inst = default_instance_;
  if (!rest.empty() && !is_comment(rest[0])) {
    auto v = parse_value(rest, default_.value(), diag);
    if (!v) return core::Status::ok();
    inst = builder_.add_value(v->a, v->txt);
  }
  builder_.add(first, last, inst);
  return core::Status::ok();
}

core::Result<BuiltDataset> Ip4SetParser::finish(ReadState& st) {
  std::unique_ptr<zones::Ip4Set> set = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = set->stats().to_string();
  out.dataset = std::move(set);
  return out;
}

}  // namespace fastrbl::loader
