#include "loader/dnset_parser.h"

#include "core/dname.h"
#include "loader/parse_util.h"

namespace fastrbl::loader {

void DnSetParser::start_file(ReadState& /*st*/) {
  default_.reset();
  default_instance_ = builder_.default_instance();
}

core::Status DnSetParser::parse_line(std::string_view line, ReadState& st) {
  LoadDiagnostics& diag = st.diag;
  if (line[0] == ':') {  // a new default, read against the built-in one
    if (!default_.set(line, diag)) return core::Status::ok();
    default_instance_ = builder_.add_value(default_.value().a, default_.value().txt);
    return core::Status::ok();
  }

  std::string_view s = line;
  const bool excluded = s[0] == '!';
  if (excluded) s = skip_space(s.substr(1));
  std::size_t n = 0;
  while (n < s.size() && !is_space(s[n])) ++n;
  std::string_view word = s.substr(0, n);
  const std::string_view rest = skip_space(s.substr(n));
  bool exact = true, wild = false;
  if (word.size() >= 2 && word[0] == '*' && word[1] == '.') {
    word.remove_prefix(2);
    exact = false;
    wild = true;
  } else if (!word.empty() && word[0] == '.') {
    word.remove_prefix(1);
    wild = true;
  }
  auto name = core::Name::from_text(word);
  if (!name.is_ok() || name.value().is_root()) {
    diag.warn("invalid domain name");
    return core::Status::ok();
  }
  const core::Name key = name.value().lowered();
  const std::span<const std::uint8_t> labels(key.data(), key.size() - 1);  // without the root byte
  if (excluded) {
    builder_.exclude(labels, exact, wild);
    return core::Status::ok();
  }
  zones::DnSetBuilder::Instance inst = default_instance_;
  if (!rest.empty() && !is_comment(rest[0])) {
    auto v = parse_value(rest, default_.value(), diag);
    if (!v) return core::Status::ok();
    inst = builder_.add_value(v->a, v->txt);
  }
  builder_.add(labels, exact, wild, inst);
  return core::Status::ok();
}

core::Result<BuiltDataset> DnSetParser::finish(ReadState& st) {
  std::unique_ptr<zones::DnSet> set = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = set->stats_text();
  out.dataset = std::move(set);
  return out;
}

}  // namespace fastrbl::loader
