#pragma once
// TXT template expansion exactly as rbldnsd's txtsubst (compat §3.6).
//
// Inputs: the entry template T, the dataset's base template B (`$=`) and variables
// `$0`..`$9`, and the subject S (the queried IP, or the matched name for dnset).
//   T starting with '='  -> body T[1:], `$=` expands to T[1:], B unused;
//   else B non-empty     -> body B, `$=` expands to T (or S when T is empty);
//   else                 -> body T (empty body: no TXT record).
// In the body: `$$` -> `$`; `$d` -> variable d, or the literal `$d` if undefined;
// `$=` as above; `$` before anything else (or at the end) -> S, the next char kept.
// Output is capped at 254 bytes. Pure function, no allocation, callable on the query path.

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace fastrbl::zones {

inline constexpr std::size_t kMaxTxtLen = 254;

/// Per-dataset substitution context. The views point into the dataset's StringPool.
struct TxtVars {
  std::array<std::string_view, 10> var{};
  std::array<bool, 10> defined{};
  std::string_view base;  // `$=`; empty: none
};

/// Expands `tmpl` into `out`. Returns the TXT length; 0 means no TXT record.
std::size_t expand_txt(std::string_view tmpl, const TxtVars& vars, std::string_view subject,
                       std::span<char, kMaxTxtLen> out) noexcept;

}  // namespace fastrbl::zones
