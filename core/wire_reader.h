#pragma once
// Query parsing: the bounds-checked reader for incoming DNS messages.
//
// parse_query() turns request bytes into a ParsedQuery: header fields, the question
// (with a lowercased copy of the name and its label offsets) and EDNS. It never reads
// outside the given span, never allocates and never throws; ParsedQuery is a fixed-size
// value meant for the stack or a per-worker slot. Thread safety: pure function.
//
// What is dropped (no reply at all) follows rbldnsd exactly: a packet too short for a
// header and a question, QR set, QDCOUNT != 1, a label over 63 bytes (which includes any
// compression pointer in the question), a name over 255 bytes, or a label that runs past
// the packet. Everything after the question is optional: records that cannot be walked
// are ignored, like rbldnsd ignores trailing bytes.

#include "core/dns.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fastrbl::core {

enum class EdnsState : std::uint8_t {
  kNone,     // no OPT record
  kPresent,  // exactly one well-formed OPT in the additional section
  kFormErr,  // more than one OPT, or an OPT whose owner is not the root (RFC 6891 6.1.1)
};

struct ParsedQuery {
  std::uint16_t id = 0;
  std::uint8_t flags1 = 0;  // QR, opcode, AA, TC, RD
  std::uint8_t flags2 = 0;  // RA, Z, AD, CD, rcode
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::size_t qname_len = 0;     // wire length of the question name, root byte included
  std::size_t question_end = 0;  // offset just past QCLASS
  std::size_t label_count = 0;
  /// The question name lowercased; the original case stays in the packet at offset 12.
  /// Bytes past qname_len are left as they were (not zeroed: this is set per query).
  std::array<std::uint8_t, kMaxNameLen> lname;
  /// label_off[i]: offset of label i within lname (and within the packet, minus 12).
  /// label_off[label_count] is the offset of the root byte; entries past it are unset.
  std::array<std::uint8_t, kMaxLabels + 1> label_off;

  EdnsState edns = EdnsState::kNone;
  std::uint16_t edns_udp_size = 0;  // as sent; callers clamp
  std::uint8_t edns_version = 0;
  bool edns_do = false;

  std::uint8_t opcode() const noexcept { return static_cast<std::uint8_t>((flags1 & kOpcodeMask) >> 3); }
};

enum class ParseResult : std::uint8_t { kOk, kDrop };

/// Parses a query. kDrop means the packet must get no reply (see the header comment).
/// On kOk every field of *out is set.
ParseResult parse_query(std::span<const std::uint8_t> packet, ParsedQuery* out) noexcept;

namespace detail {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;

// ASCII lowercase of 8 bytes at once (SWAR): a byte gets 0x20 added where it is 'A'..'Z';
// every other byte, length bytes (<= 63) and bytes >= 0x80 included, stays as it is.
inline std::uint64_t lower8(std::uint64_t x) noexcept {
  const std::uint64_t low7 = x & (0x7f * kOnes);
  const std::uint64_t ge_a = low7 + (0x80 - 'A') * kOnes;  // bit 7 set where low7 >= 'A'
  const std::uint64_t gt_z = low7 + (0x7f - 'Z') * kOnes;  // bit 7 set where low7 > 'Z'
  const std::uint64_t upper = (ge_a ^ gt_z) & ~x & (0x80 * kOnes);
  return x | (upper >> 2);
}

#if defined(__SSE2__)
// One 16-byte block of lower_name_impl(): src[0, 16) lowercased to dst (and, with kCopy,
// stored unchanged at copy). A function rather than a lambda, so that it is always inlined.
template <bool kCopy>
[[gnu::always_inline]] inline void lower_block16(const std::uint8_t* src, std::uint8_t* dst,
                                                 std::uint8_t* copy) noexcept {
  // 'A'..'Z' are the bytes > 64 and < 91 (signed)
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));  // NOLINT: SSE load
  const __m128i upper =
      _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst),  // NOLINT
                   _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
  if constexpr (kCopy) _mm_storeu_si128(reinterpret_cast<__m128i*>(copy), x);  // NOLINT
}
#endif

// lower_name(); with kCopy, each block read is also stored unchanged at `copy`.
template <bool kCopy>
[[gnu::always_inline]] inline void lower_name_impl(const std::uint8_t* src, std::size_t n, std::uint8_t* dst,
                                                   std::uint8_t* copy) noexcept {
#if defined(__SSE2__)
  if (n >= 16) {  // 16 bytes at a time
    std::size_t i = 0;
    // (no offset is added to a null `copy`)
    for (; i + 16 <= n; i += 16) lower_block16<kCopy>(src + i, dst + i, kCopy ? copy + i : nullptr);
    // the last 16 bytes again (lowercasing twice changes nothing)
    if (i < n) lower_block16<kCopy>(src + n - 16, dst + n - 16, kCopy ? copy + n - 16 : nullptr);
    return;
  }
#endif
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) {
      dst[i] = lower(src[i]);
      if constexpr (kCopy) copy[i] = src[i];
    }
    return;
  }
  std::uint64_t w = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::memcpy(&w, src + i, 8);
    if constexpr (kCopy) std::memcpy(copy + i, &w, 8);
    w = detail::lower8(w);
    std::memcpy(dst + i, &w, 8);
  }
  if (i < n) {  // the last 8 bytes again (lowercasing twice changes nothing)
    std::memcpy(&w, src + n - 8, 8);
    if constexpr (kCopy) std::memcpy(copy + n - 8, &w, 8);
    w = detail::lower8(w);
    std::memcpy(dst + n - 8, &w, 8);
  }
}

}  // namespace detail

/// Copies the `n` bytes of a wire name at `src` to `dst`, lowercased ('A'..'Z' only).
/// Length bytes are below 'A', so the whole name is lowercased without walking its
/// labels. Reads and writes exactly [0, n). Requires: the ranges do not overlap.
/// Always inlined: it runs on every query (the fast path's call of it was not inlined).
[[gnu::always_inline]] inline void lower_name(const std::uint8_t* src, std::size_t n,
                                              std::uint8_t* dst) noexcept {
  detail::lower_name_impl<false>(src, n, dst, nullptr);
}

/// lower_name() that also copies the name unchanged to `copy` [0, n) on the way (the
/// query path's reply echoes the question as sent). Requires: no range overlaps another.
[[gnu::always_inline]] inline void lower_name(const std::uint8_t* src, std::size_t n, std::uint8_t* dst,
                                              std::uint8_t* copy) noexcept {
  detail::lower_name_impl<true>(src, n, dst, copy);
}

/// Skips one possibly compressed name starting at `pos`; returns the offset after it, or
/// 0 if it runs past the packet. Used to walk records after the question.
std::size_t skip_name(std::span<const std::uint8_t> packet, std::size_t pos) noexcept;

}  // namespace fastrbl::core
