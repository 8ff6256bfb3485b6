#include "loader/generic_parser.h"

#include "core/dname.h"
#include "loader/parse_util.h"
#include "loader/value_parser.h"

namespace fastrbl::loader {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != b[i]) return false;
  return true;
}

// The next blank-delimited word and the text after the blanks that follow it.
std::string_view next_word(std::string_view s, std::string_view* rest) {
  std::size_t n = 0;
  while (n < s.size() && !is_space(s[n])) ++n;
  *rest = skip_space(s.substr(n));
  return s.substr(0, n);
}

}  // namespace

core::Status GenericParser::parse_line(std::string_view line, ReadState& st) {
  LoadDiagnostics& diag = st.diag;
  auto invalid = [&]() {
    diag.warn("invalid/unrecognized entry");
    return core::Status::ok();
  };
  auto fatal = [&]() { return core::Status::error(diag.format("invalid/unrecognized entry")); };

  std::string_view rest;
  const std::string_view word = next_word(line, &rest);
  core::Name name;  // the apex: root
  if (word != "@") {
    auto n = core::Name::from_text(word);
    if (!n.is_ok()) return invalid();
    name = n.value().lowered();
  }
  if (rest.empty()) return invalid();
  const std::span<const std::uint8_t> key(name.data(), name.size() - 1);  // without the root byte

  std::uint32_t ttl = st.meta.ttl;
  if (rest[0] >= '0' && rest[0] <= '9') {
    auto t = parse_ttl(rest, st.meta.ttl, st.options.min_ttl, st.options.max_ttl);
    if (!t) return fatal();
    ttl = t->value;
    rest = t->rest;
  }
  std::string_view data;
  std::string_view type = next_word(rest, &data);
  if (equals_ci(type, "in")) type = next_word(data, &data);
  if (data.empty()) return invalid();

  if (equals_ci(type, "a")) {
    auto a = parse_ip4_addr(data);
    if (!a) return invalid();
    builder_.add_a(key, ttl,
                   {static_cast<std::uint8_t>(a->addr >> 24), static_cast<std::uint8_t>(a->addr >> 16),
                    static_cast<std::uint8_t>(a->addr >> 8), static_cast<std::uint8_t>(a->addr)});
    return core::Status::ok();
  }
  if (equals_ci(type, "txt")) {
    if (data.size() >= 2 && data.front() == '"' && data.back() == '"') data = data.substr(1, data.size() - 2);
    if (data.size() > kMaxTxtTemplate) {
      diag.warn("TXT RR truncated to %zu bytes", kMaxTxtTemplate);
      data = data.substr(0, kMaxTxtTemplate);
    }
    builder_.add_txt(key, ttl, data);
    return core::Status::ok();
  }
  if (equals_ci(type, "mx")) {
    auto pref = parse_uint32(data);
    if (!pref || pref->value > 0xffff) return invalid();
    std::string_view after;
    const std::string_view target_text = next_word(pref->rest, &after);
    if (target_text.empty() || !after.empty()) return fatal();
    auto target = core::Name::from_text(target_text);
    if (!target.is_ok()) return fatal();
    builder_.add_mx(key, ttl, static_cast<std::uint16_t>(pref->value), target.value());
    return core::Status::ok();
  }
  return invalid();
}

core::Result<BuiltDataset> GenericParser::finish(ReadState& st) {
  std::unique_ptr<zones::Generic> g = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = g->stats_text();
  out.dataset = std::move(g);
  return out;
}

}  // namespace fastrbl::loader
