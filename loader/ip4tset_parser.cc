#include "loader/ip4tset_parser.h"

#include "loader/parse_util.h"
#include "loader/value_parser.h"

namespace fastrbl::loader {

void Ip4TSetParser::start_file(ReadState& /*st*/) {}

core::Status Ip4TSetParser::parse_line(std::string_view line, ReadState& st) {
  if (line[0] == ':') {
    if (has_value_) return core::Status::ok();  // the first default of the dataset wins
    auto v = parse_value(line, RawValue{}, st.diag);
    if (!v) return core::Status::ok();
    has_value_ = builder_.set_value(v->a, v->txt);
    return core::Status::ok();
  }
  auto p = parse_ip4_prefix(line);
  if (!p || p->bits != 32 ||
      (p->end < line.size() && !is_space(line[p->end]) && !is_comment(line[p->end]) && line[p->end] != ':')) {
    st.diag.warn("invalid address");
    return core::Status::ok();
  }
  builder_.add(p->addr);
  return core::Status::ok();
}

core::Result<BuiltDataset> Ip4TSetParser::finish(ReadState& st) {
  std::unique_ptr<zones::Ip4TSet> set = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = set->stats();
  out.dataset = std::move(set);
  return out;
}

}  // namespace fastrbl::loader
