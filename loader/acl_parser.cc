#include "loader/acl_parser.h"

#include "loader/parse_util.h"

#include <cctype>

namespace fastrbl::loader {
namespace {

bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

// The action keyword at the start of `s` (a run of letters), if it is one.
std::optional<zones::AclAction> keyword(std::string_view s) noexcept {
  std::size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  const std::string_view w = s.substr(0, n);
  if (ieq(w, "ignore") || ieq(w, "blackhole")) return zones::AclAction::kIgnore;
  if (ieq(w, "refuse")) return zones::AclAction::kRefuse;
  if (ieq(w, "empty")) return zones::AclAction::kEmpty;
  if (ieq(w, "pass")) return zones::AclAction::kPass;
  return std::nullopt;
}

bool ends_entry(std::string_view s, std::size_t i) noexcept {
  return i >= s.size() || is_space(s[i]) || is_comment(s[i]) || s[i] == ':';
}

}  // namespace

void AclParser::start_file(ReadState& /*st*/) {
  default_ = zones::AclRule{zones::AclAction::kIgnore, {}};
  default_raw_ = RawValue{};
}

std::optional<zones::AclRule> AclParser::parse_rule(std::string_view text, LoadDiagnostics& diag) {
  if (text[0] == '=' || text[0] == ':') {
    if (auto kw = keyword(text.substr(1))) return zones::AclRule{*kw, {}};
    if (text[0] == '=') {
      diag.warn("invalid keyword");
      return std::nullopt;
    }
  }
  auto v = parse_value(text, default_raw_, diag);
  if (!v) return std::nullopt;
  zones::AclRule r;
  r.action = zones::AclAction::kTemplate;
  r.value.a = v->a;
  r.value.txt = builder_.pool().intern(v->txt);
  return r;
}

core::Status AclParser::parse_line(std::string_view line, ReadState& st) {
  LoadDiagnostics& diag = st.diag;
  if ((line[0] == ':' && (line.size() < 2 || line[1] != ':')) || line[0] == '=') {
    // A new default. A template default is read against the built-in value.
    default_raw_ = RawValue{};
    auto r = parse_rule(line, diag);
    if (!r) return core::Status::ok();
    default_ = *r;
    if (r->action == zones::AclAction::kTemplate) default_raw_ = RawValue{r->value.a, r->value.txt};
    return core::Status::ok();
  }

  std::size_t end = 0;
  bool v4 = false;
  std::uint32_t addr4 = 0;
  unsigned bits = 0;
  Ip6Prefix c6;
  auto r4 = parse_ip4_range(line);
  if (r4 && line.substr(0, r4->end).find('-') == std::string_view::npos && ends_entry(line, r4->end)) {
    v4 = true;
    addr4 = r4->first;
    bits = static_cast<unsigned>(r4->bits);
    end = r4->end;
  } else if (auto r6 = parse_ip6_cidr(line); r6 && ends_entry(line, r6->end)) {
    c6 = *r6;
    bits = static_cast<unsigned>(c6.bits);
    end = c6.end;
  } else {
    diag.warn("invalid address");
    return core::Status::ok();
  }

  if (v4) {
    if (!accept_host_part(&addr4, static_cast<int>(bits), st)) return core::Status::ok();
    const std::uint32_t mask = ip4_mask(static_cast<int>(bits));
    if (st.max_range4 != 0 && st.max_range4 <= ~mask) {
      diag.warn("too large range (%u) ignored (%u max)", ~mask + 1u, st.max_range4);
      return core::Status::ok();
    }
  } else if (!accept_host_part(&c6.addr, c6.bits, st)) {
    return core::Status::ok();
  }

  zones::AclRule rule = default_;
  std::string_view rest = skip_space(line.substr(end));
  if (!rest.empty() && !is_comment(rest[0])) {
    auto r = parse_rule(rest, diag);
    if (!r) return core::Status::ok();
    rule = *r;
  }
  const bool added = v4 ? builder_.add4(addr4, bits, rule) : builder_.add6(c6.addr, bits, rule);
  if (!added) diag.warn("duplicated entry for %.*s", static_cast<int>(end), line.data());
  return core::Status::ok();
}

core::Result<BuiltDataset> AclParser::finish(ReadState& st) {
  // rbldnsd refuses $SOA and $NS in an acl: they never reach the zone.
  st.meta.soa.reset();
  st.meta.ns.reset();
  std::unique_ptr<zones::Acl> acl = builder_.build(std::move(st.meta));
  BuiltDataset out;
  out.stats = "loaded";
  out.dataset = std::move(acl);
  return out;
}

}  // namespace fastrbl::loader
