#include "feeds/read_context.h"

#include "feeds/normalise.h"

#include <utility>

namespace fastrbl::feeds::detail {

void for_each_line(std::string_view data, const std::function<void(std::size_t, std::string_view)>& fn) {
  if (data.substr(0, 3) == "\xef\xbb\xbf") data.remove_prefix(3);
  std::size_t lineno = 0;
  while (!data.empty()) {
    const std::size_t nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    data.remove_prefix(nl == std::string_view::npos ? data.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(++lineno, trim(line));
  }
}

std::string quote(std::string_view s) { return "`" + std::string(s) + "'"; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ReadContext::ReadContext(std::string_view file, const ReadOptions& options, std::string_view implied_provider)
    : options_(options),
      file_(file),
      provider_(options.provider.empty() ? std::string(implied_provider) : options.provider) {}

void ReadContext::message(Diagnostic::Severity severity, std::string text) {
  if (result_.diagnostics.size() >= options_.max_diagnostics) return;
  result_.diagnostics.push_back(Diagnostic{severity, file_, line_, std::move(text)});
}

void ReadContext::error(std::string text) {
  ++result_.bad_lines;
  message(Diagnostic::Severity::kError, std::move(text));
}

void ReadContext::note(std::string text) {
  ++result_.ignored_lines;
  message(Diagnostic::Severity::kNote, std::move(text));
}

void ReadContext::fatal(std::string text) {
  result_.complete = false;
  error(std::move(text));
}

Metadata ReadContext::meta() const {
  Metadata m;
  m.provider = provider_;
  return m;
}

void ReadContext::add(std::vector<DomainEntry> domains, std::vector<IpEntry> ips) {
  ++result_.good_lines;
  for (DomainEntry& d : domains) {
    d.line = line_;
    if (d.meta.provider.empty()) d.meta.provider = provider_;
    result_.domains.push_back(std::move(d));
  }
  for (IpEntry& ip : ips) {
    ip.line = line_;
    if (ip.meta.provider.empty()) ip.meta.provider = provider_;
    result_.ips.push_back(std::move(ip));
  }
}

core::Result<TokenEntry> parse_token(std::string_view token, DomainForm bare_form, HostBits host_bits,
                                     TokenKinds kinds) {
  TokenEntry out;
  bool excluded = false;
  if (!token.empty() && token.front() == '!') {
    excluded = true;
    token.remove_prefix(1);
  }
  if (token.empty()) return core::Status::error("empty entry");
  if (token.find("://") != std::string_view::npos) {
    return core::Status::error("`" + std::string(token) + "' is a URL, not a host name");
  }
  if (looks_like_ip(token)) {
    if (kinds == TokenKinds::kNameOnly) {
      return core::Status::error("`" + std::string(token) + "' is an address; this feed lists names");
    }
    auto p = parse_ip_prefix(token, host_bits);
    if (!p.is_ok()) return p.status();
    out.is_ip = true;
    out.ip.prefix = p.value();
    out.ip.excluded = excluded;
    return out;
  }
  if (kinds == TokenKinds::kIpOnly) {
    return core::Status::error("`" + std::string(token) + "' is not an IP address or prefix");
  }
  DomainForm form = bare_form;
  if (token.substr(0, 2) == "*.") {
    form = DomainForm::kWildcard;
    token.remove_prefix(2);
  } else if (token.front() == '.') {
    form = DomainForm::kSuffix;
    token.remove_prefix(1);
  }
  auto name = normalise_domain(token);
  if (!name.is_ok()) return name.status();
  out.domain.name = std::move(name).value();
  out.domain.form = form;
  out.domain.excluded = excluded;
  return out;
}

}  // namespace fastrbl::feeds::detail
