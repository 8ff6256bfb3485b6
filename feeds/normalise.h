#pragma once
// Normalising domain names from feeds, and Public Suffix List decisions.
//
// normalise_domain() turns what a feed wrote into the one spelling the rest of fastrbl
// uses: lowercase, no trailing dot, internationalised labels as IDNA2008 A-labels
// (libidn2, UTS #46 non-transitional mapping, so `Straße.de` is `xn--strae-oqa.de`),
// labels of 1..63 octets, at most 253 characters (255 octets in wire form).
//
// PublicSuffixList wraps libpsl over a `.dat` (or `.dafsa`) file: by default the Debian
// `publicsuffix` package's copy, or a newer file by path (Debian's is from 2023). It
// answers "is this a public suffix", "what is the registrable domain" and "is this TLD
// known", and make_listing() uses it to choose the rbldnsd dnset form for a listing
// policy: a whole TLD is `.tld`, a registrable domain and everything under it is
// `.domain`, a single host is `host` (compat §4.6: `.d` = d and its subdomains, `*.d` =
// strict subdomains only, `d` = exactly d). Public suffixes are never listed except by
// the TLD scope, so a feed of `evil.github.io` hosts cannot list `github.io`.
//
// Thread safety: the free functions are pure. A PublicSuffixList is immutable after
// load(); its const methods may be called from several threads (libpsl lookups do not
// write to the context). It owns its libpsl context and is move-only.

#include "core/status.h"
#include "feeds/entry.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct psl_ctx_st;

namespace fastrbl::feeds {

/// Longest normalised name in text form (255 octets in wire form).
inline constexpr std::size_t kMaxNameLength = 253;
/// Longest label.
inline constexpr std::size_t kMaxLabelLength = 63;

/// Normalises one domain name (no `*.`/`.` form prefix, no `!`; readers strip those).
/// Accepts a trailing dot, any case, UTF-8 U-labels and A-labels; `_` is allowed in
/// labels (service names, and hostnames seen in the wild). Errors say what is wrong:
/// "empty name", "empty label in `a..b'", "label `...' longer than 63 octets", "name
/// `...' longer than 253 characters", "invalid character `*' in `a*b.com'", "IDNA: cannot
/// convert `☃.net' to A-labels: string contains a disallowed character", "invalid A-label
/// `xn--zz' in `xn--zz.de': ...", "top-level label of `1.2.3' is all digits".
core::Result<std::string> normalise_domain(std::string_view name);

/// Which PSL sections count. rspamd uses both (so `user.github.io` is registrable);
/// ICANN-only treats github.io as an ordinary domain.
enum class PslSections : std::uint8_t { kIcann, kIcannAndPrivate };

class PublicSuffixList {
 public:
  /// The Debian `publicsuffix` package's list.
  static constexpr const char* kSystemPath = "/usr/share/publicsuffix/public_suffix_list.dat";

  /// Loads a PSL file (`.dat` text or libpsl `.dafsa`). Error: "cannot load public suffix
  /// list PATH" (missing, unreadable or not a PSL).
  static core::Result<PublicSuffixList> load(const std::string& path = kSystemPath);

  PublicSuffixList(PublicSuffixList&&) noexcept;
  PublicSuffixList& operator=(PublicSuffixList&&) noexcept;
  ~PublicSuffixList();

  /// True if an explicit rule (or wildcard rule) of `sections` makes `name` a public
  /// suffix: `com`, `co.uk`, `ck` (from `*.ck`), `github.io` (private). Unlisted TLDs such
  /// as `example` are not (the PSL algorithm's implicit `*` rule is not applied here).
  /// Requires: `name` normalised.
  bool is_public_suffix(std::string_view name, PslSections sections = PslSections::kIcannAndPrivate) const;

  /// The registrable domain (public suffix + one label) of `name`, by the PSL algorithm
  /// including its implicit `*` rule: `www.shop.bad.co.uk` -> `bad.co.uk`, `a.foo.example`
  /// -> `foo.example`; nullopt when `name` itself is a public suffix. Requires: normalised.
  std::optional<std::string> registrable_domain(std::string_view name,
                                                PslSections sections = PslSections::kIcannAndPrivate) const;

  /// True if the last label of `name` is a top-level domain of the ICANN section.
  bool known_tld(std::string_view name) const;

  const std::string& path() const noexcept { return path_; }

 private:
  struct Free {
    void operator()(psl_ctx_st* ctx) const noexcept;
  };
  PublicSuffixList(std::unique_ptr<psl_ctx_st, Free> ctx, std::string path);
  bool suffix_rule(const std::string& name, PslSections sections, bool star) const;

  std::unique_ptr<psl_ctx_st, Free> ctx_;
  std::string path_;
};

/// What a feed wants listed for each of its names.
enum class ListingScope : std::uint8_t {
  kTld,                ///< the name is a public suffix; list it and everything under it: `.tld`
  kRegistrableDomain,  ///< the name's registrable domain and everything under it: `.domain`
  kHost,               ///< exactly this host: `host`
  kHostAndSubdomains,  ///< this host and everything under it: `.host`
  kSubdomains,         ///< only names under this host (redirector hosts): `*.host`
};

struct ListingPolicy {
  ListingScope scope = ListingScope::kHost;
  PslSections sections = PslSections::kIcannAndPrivate;
  /// Refuse names whose TLD is not in the ICANN section (typos, `.example`, `.local`).
  bool require_known_tld = true;
};

/// The dnset entry for listing (or, with `excluded`, excepting) `name` under `policy`.
/// Requires: `name` normalised. Errors: "`x' is not a public suffix" (kTld), "`co.uk' is
/// a public suffix: only the TLD scope lists public suffixes" (other scopes), "unknown
/// top-level domain in `a.invalidtld'".
core::Result<DomainEntry> make_listing(const PublicSuffixList& psl, std::string_view name,
                                       const ListingPolicy& policy, bool excluded = false);

}  // namespace fastrbl::feeds
