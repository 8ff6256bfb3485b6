#pragma once
// DNS protocol constants shared by the codec and the answer logic (RFC 1035, 6891).
// Plain constants only; no state.

#include <cstddef>
#include <cstdint>

namespace fastrbl::core {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxNameLen = 255;  // wire length including the root label
inline constexpr std::size_t kMaxLabelLen = 63;
inline constexpr std::size_t kMaxLabels = 127;        // 255 bytes hold at most 127 labels + root
inline constexpr std::size_t kMaxUdpPayload = 512;    // without EDNS
inline constexpr std::size_t kMaxEdnsPayload = 4096;  // the most we honour over UDP
inline constexpr std::size_t kMaxTcpMessage = 65535;
inline constexpr std::size_t kMaxQuerySize = 2048;  // bytes of a query we read (as rbldnsd)
inline constexpr std::size_t kOptRecordSize = 11;   // minimal OPT RR, no options

// Header flag bits, first flags byte.
inline constexpr std::uint8_t kFlagQR = 0x80;
inline constexpr std::uint8_t kOpcodeMask = 0x78;
inline constexpr std::uint8_t kFlagAA = 0x04;
inline constexpr std::uint8_t kFlagTC = 0x02;
inline constexpr std::uint8_t kFlagRD = 0x01;
// Second flags byte.
inline constexpr std::uint8_t kFlagRA = 0x80;
inline constexpr std::uint8_t kRcodeMask = 0x0f;

enum class Rcode : std::uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};
/// Extended rcode 16 (BADVERS) is carried in the OPT record: upper 8 bits = 1.
inline constexpr std::uint8_t kExtRcodeBadVers = 1;

namespace rrtype {
inline constexpr std::uint16_t kA = 1;
inline constexpr std::uint16_t kNS = 2;
inline constexpr std::uint16_t kCNAME = 5;
inline constexpr std::uint16_t kSOA = 6;
inline constexpr std::uint16_t kPTR = 12;
inline constexpr std::uint16_t kMX = 15;
inline constexpr std::uint16_t kTXT = 16;
inline constexpr std::uint16_t kAAAA = 28;
inline constexpr std::uint16_t kOPT = 41;
inline constexpr std::uint16_t kTSIG = 250;
inline constexpr std::uint16_t kIXFR = 251;
inline constexpr std::uint16_t kAXFR = 252;
inline constexpr std::uint16_t kANY = 255;
}  // namespace rrtype

namespace rrclass {
inline constexpr std::uint16_t kIN = 1;
inline constexpr std::uint16_t kCH = 3;
inline constexpr std::uint16_t kHS = 4;
inline constexpr std::uint16_t kANY = 255;
}  // namespace rrclass

/// Big-endian loads and stores on byte buffers (no casts onto packet bytes).
inline std::uint16_t load_u16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline void store_u16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
/// ASCII lowercase of one name byte (DNS names compare case-insensitively in ASCII only).
constexpr std::uint8_t lower(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}

}  // namespace fastrbl::core
