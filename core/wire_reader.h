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
#include <span>

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

/// Skips one possibly compressed name starting at `pos`; returns the offset after it, or
/// 0 if it runs past the packet. Used to walk records after the question.
std::size_t skip_name(std::span<const std::uint8_t> packet, std::size_t pos) noexcept;

}  // namespace fastrbl::core
