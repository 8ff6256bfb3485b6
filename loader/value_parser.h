#pragma once
// parse_value(): rbldnsd's parse_a_txt, the A + TXT value after an entry's key
// (compat §3.3). Shared by every dataset type that carries A/TXT values.
//
//   `:A:TXT`  -> A, TXT (leading blanks skipped; may be empty: no TXT)
//   `:A`      -> A, and the TXT of the default in force
//   other     -> the default A, the whole text as TXT
// A takes inet_aton's partial forms; one number n means 127.0.0.n. 0, 0.0.0.0 or a bad
// address -> warning "invalid A RR"; junk after A -> "unrecognized value for an entry";
// both skip the entry. A TXT over 255 bytes is cut with "TXT RR truncated to 255 bytes".
// Pure apart from the warnings; thread-safe.

#include "loader/data_file.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fastrbl::loader {

inline constexpr std::size_t kMaxTxtTemplate = 255;

/// A value as read; `txt` is a view into the line or into the default it came from.
struct RawValue {
  std::array<std::uint8_t, 4> a{127, 0, 0, 2};
  std::string_view txt;
};

/// Parses `text` (non-empty, not starting with a blank). `def` is the default in force.
/// nullopt (after a warning through diag) when the entry must be skipped.
std::optional<RawValue> parse_value(std::string_view text, const RawValue& def, LoadDiagnostics& diag);

/// The default value set by `:` lines, for the types whose default lasts to the end of the
/// file (ip4set, ip4trie, ip6trie, dnset; compat §3.4). A file starts with the built-in
/// default (A 127.0.0.2, no TXT); each valid `:` line, read against the built-in default,
/// replaces it. The value's txt views storage owned here.
class FileDefault {
 public:
  void reset() noexcept {
    value_ = RawValue{};
    txt_.clear();
  }
  /// Reads a `:` default line. False (after rbldnsd's warning) if it is invalid; the
  /// default in force is then unchanged.
  bool set(std::string_view line, LoadDiagnostics& diag) {
    auto v = parse_value(line, RawValue{}, diag);
    if (!v) return false;
    txt_.assign(v->txt);
    value_.a = v->a;
    value_.txt = txt_;
    return true;
  }
  const RawValue& value() const noexcept { return value_; }

 private:
  RawValue value_;
  std::string txt_;
};

}  // namespace fastrbl::loader
