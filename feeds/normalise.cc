#include "feeds/normalise.h"

#include <idn2.h>
#include <libpsl.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace fastrbl::feeds {
namespace {

std::string quote(std::string_view s) { return "`" + std::string(s) + "'"; }

/// A character for a message: printable ASCII as itself, anything else as \xNN.
std::string show_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string(1, c);
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "\\x%02x", u);
  return buf.data();
}

bool is_label_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/// libidn2 over a NUL-terminated copy; the A-label form or the library's message.
core::Result<std::string> idn2_to_ascii(const std::string& in) {
  char* out = nullptr;
  const int rc =
      idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(in.c_str()),
                     reinterpret_cast<std::uint8_t**>(&out), IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK) return core::Status::error(idn2_strerror(rc));
  std::string result(out);
  idn2_free(out);
  return result;
}

}  // namespace

core::Result<std::string> normalise_domain(std::string_view input) {
  std::string name(input);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return core::Status::error("empty name");
  bool ascii = true;
  for (char c : name) {
    if (c == '\0') return core::Status::error("NUL byte in name");
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
  }
  if (!ascii) {
    // Whole-name conversion: UTS #46 also maps the ideographic and full-width dots.
    auto converted = idn2_to_ascii(name);
    if (!converted.is_ok()) {
      return core::Status::error("IDNA: cannot convert " + quote(input) +
                                 " to A-labels: " + std::string(converted.status().message()));
    }
    name = std::move(converted).value();
    if (!name.empty() && name.back() == '.') name.pop_back();
  }
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (name.size() > kMaxNameLength) {
    return core::Status::error("name " + quote(input) + " longer than " + std::to_string(kMaxNameLength) +
                               " characters");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::size_t end = dot == std::string::npos ? name.size() : dot;
    const std::string_view label = std::string_view(name).substr(start, end - start);
    if (label.empty()) return core::Status::error("empty label in " + quote(input));
    if (label.size() > kMaxLabelLength) {
      return core::Status::error("label " + quote(label) + " longer than " + std::to_string(kMaxLabelLength) +
                                 " octets");
    }
    for (char c : label) {
      if (!is_label_char(c))
        return core::Status::error("invalid character `" + show_char(c) + "' in " + quote(input));
    }
    if (label.size() >= 4 && label.substr(0, 4) == "xn--") {
      auto checked = idn2_to_ascii(std::string(label));
      if (!checked.is_ok()) {
        return core::Status::error("invalid A-label " + quote(label) + " in " + quote(input) + ": " +
                                   std::string(checked.status().message()));
      }
    }
    if (dot == std::string::npos) {
      bool digits = true;
      for (char c : label) digits = digits && c >= '0' && c <= '9';
      if (digits) return core::Status::error("top-level label of " + quote(input) + " is all digits");
      break;
    }
    start = dot + 1;
  }
  return name;
}

// PublicSuffixList

void PublicSuffixList::Free::operator()(psl_ctx_st* ctx) const noexcept { psl_free(ctx); }

PublicSuffixList::PublicSuffixList(std::unique_ptr<psl_ctx_st, Free> ctx, std::string path)
    : ctx_(std::move(ctx)), path_(std::move(path)) {}
PublicSuffixList::PublicSuffixList(PublicSuffixList&&) noexcept = default;
PublicSuffixList& PublicSuffixList::operator=(PublicSuffixList&&) noexcept = default;
PublicSuffixList::~PublicSuffixList() = default;

core::Result<PublicSuffixList> PublicSuffixList::load(const std::string& path) {
  std::unique_ptr<psl_ctx_st, Free> ctx(psl_load_file(path.c_str()));
  if (!ctx) return core::Status::error("cannot load public suffix list " + path);
  // psl_load_file accepts any text; a real list has at least `com`.
  if (!psl_is_public_suffix2(ctx.get(), "com", PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
    return core::Status::error("cannot load public suffix list " + path + ": no rule for `com'");
  }
  return PublicSuffixList(std::move(ctx), path);
}

bool PublicSuffixList::suffix_rule(const std::string& name, PslSections sections, bool star) const {
  int type = sections == PslSections::kIcann ? PSL_TYPE_ICANN : PSL_TYPE_ANY;
  if (!star) type |= PSL_TYPE_NO_STAR_RULE;
  return psl_is_public_suffix2(ctx_.get(), name.c_str(), type) != 0;
}

bool PublicSuffixList::is_public_suffix(std::string_view name, PslSections sections) const {
  return suffix_rule(std::string(name), sections, false);
}

std::optional<std::string> PublicSuffixList::registrable_domain(std::string_view name,
                                                                PslSections sections) const {
  // The public suffix is the longest suffix matching a rule (the implicit `*` rule
  // included, as the PSL algorithm says); the registrable domain adds the label before
  // it. Walking from the left finds the longest first: `pages.example-hosting.com` wins
  // over `com` even though `example-hosting.com` matches no rule.
  if (suffix_rule(std::string(name), sections, true)) return std::nullopt;
  std::size_t label_start = 0;
  while (true) {
    const std::size_t dot = name.find('.', label_start);
    if (dot == std::string_view::npos) return std::nullopt;  // only the TLD is left
    const std::string parent(name.substr(dot + 1));
    if (suffix_rule(parent, sections, true)) return std::string(name.substr(label_start));
    label_start = dot + 1;
  }
}

bool PublicSuffixList::known_tld(std::string_view name) const {
  const std::size_t dot = name.rfind('.');
  const std::string tld(dot == std::string_view::npos ? name : name.substr(dot + 1));
  return suffix_rule(tld, PslSections::kIcann, false);
}

core::Result<DomainEntry> make_listing(const PublicSuffixList& psl, std::string_view name,
                                       const ListingPolicy& policy, bool excluded) {
  if (policy.require_known_tld && !psl.known_tld(name)) {
    return core::Status::error("unknown top-level domain in " + quote(name));
  }
  DomainEntry e;
  e.excluded = excluded;
  const bool suffix = psl.is_public_suffix(name, policy.sections);
  if (policy.scope == ListingScope::kTld) {
    if (!suffix) return core::Status::error(quote(name) + " is not a public suffix");
    e.name = std::string(name);
    e.form = DomainForm::kSuffix;
    return e;
  }
  if (suffix) {
    return core::Status::error(quote(name) + " is a public suffix: only the TLD scope lists public suffixes");
  }
  switch (policy.scope) {
    case ListingScope::kRegistrableDomain: {
      auto rd = psl.registrable_domain(name, policy.sections);
      if (!rd) return core::Status::error(quote(name) + " has no registrable domain");
      e.name = std::move(*rd);
      e.form = DomainForm::kSuffix;
      break;
    }
    case ListingScope::kHost:
      e.name = std::string(name);
      e.form = DomainForm::kExact;
      break;
    case ListingScope::kHostAndSubdomains:
      e.name = std::string(name);
      e.form = DomainForm::kSuffix;
      break;
    case ListingScope::kSubdomains:
      e.name = std::string(name);
      e.form = DomainForm::kWildcard;
      break;
    case ListingScope::kTld:
      break;  // handled above
  }
  return e;
}

}  // namespace fastrbl::feeds
