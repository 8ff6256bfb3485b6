#pragma once
// Reading back the answer records a dataset wrote through AnswerSink, for dataset tests:
// for_each_answer() walks them, rr_plain_text() renders one as "A 127.0.0.2 300",
// "TXT text 300", "MX 10 300" or "type99 300". Test-only code. Thread safety: none needed.

#include "core/dns.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace fastrbl::testing {

/// Calls fn(type, ttl, rdata) for each of `count` answer records starting at offset `pos` of
/// `msg`. Requires: owners are 2-byte compression pointers, as AnswerSink writes them.
template <class Fn>
void for_each_answer(const std::uint8_t* msg, std::size_t pos, std::size_t count, Fn fn) {
  for (std::size_t i = 0; i < count; ++i) {
    pos += 2;
    const std::uint16_t type = core::load_u16(msg + pos);
    const std::uint32_t ttl = core::load_u32(msg + pos + 4);
    const std::uint16_t rdlen = core::load_u16(msg + pos + 8);
    fn(type, ttl, std::span<const std::uint8_t>(msg + pos + 10, rdlen));
    pos += 10u + rdlen;
  }
}

/// "A a.b.c.d TTL", "TXT <text> TTL" (unquoted), "MX <pref> TTL", otherwise "type<N> TTL".
inline std::string rr_plain_text(std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rd) {
  std::string s;
  if (type == core::rrtype::kA)
    s = "A " + std::to_string(rd[0]) + "." + std::to_string(rd[1]) + "." + std::to_string(rd[2]) + "." +
        std::to_string(rd[3]);
  else if (type == core::rrtype::kTXT)
    s = "TXT " + std::string(reinterpret_cast<const char*>(rd.data() + 1), rd[0]);
  else if (type == core::rrtype::kMX)
    s = "MX " + std::to_string(core::load_u16(rd.data()));
  else
    s = "type" + std::to_string(type);
  return s + " " + std::to_string(ttl);
}

}  // namespace fastrbl::testing
