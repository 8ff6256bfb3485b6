#pragma once
// make_query(): a query as a mail server sends it (RD, one question, optionally an OPT
// record with a 1232-byte payload and DO), for the benchmarks. Bench-only code: it
// allocates and aborts on a bad name. Thread safety: a pure function.

#include "core/dname.h"
#include "core/dns.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace fastrbl::bench {

inline std::vector<std::uint8_t> make_query(std::string_view qname, std::uint16_t qtype, bool edns = false,
                                            std::uint16_t id = 0x4a1d) {
  auto put16 = [](std::vector<std::uint8_t>& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
  };
  std::vector<std::uint8_t> b{static_cast<std::uint8_t>(id >> 8),
                              static_cast<std::uint8_t>(id),
                              core::kFlagRD,
                              0,
                              0,
                              1,
                              0,
                              0,
                              0,
                              0,
                              0,
                              static_cast<std::uint8_t>(edns)};
  auto n = core::Name::from_text(qname);
  if (!n.is_ok()) std::abort();
  b.insert(b.end(), n.value().wire().begin(), n.value().wire().end());
  put16(b, qtype);
  put16(b, core::rrclass::kIN);
  if (edns) {
    b.push_back(0);
    put16(b, core::rrtype::kOPT);
    put16(b, 1232);
    b.insert(b.end(), {0, 0, 0x80, 0, 0, 0});
  }
  return b;
}

}  // namespace fastrbl::bench
