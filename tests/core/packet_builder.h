#pragma once
// PacketBuilder: assembles raw DNS messages byte by byte for codec tests, including
// malformed ones. Test-only code: it allocates freely. Thread safety: a plain value.

#include "core/dname.h"
#include "core/dns.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::test {

class PacketBuilder {
 public:
  PacketBuilder& u8(std::uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  PacketBuilder& u16(std::uint16_t v) {
    b_.push_back(static_cast<std::uint8_t>(v >> 8));
    b_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  PacketBuilder& u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    return u16(static_cast<std::uint16_t>(v));
  }
  PacketBuilder& raw(std::initializer_list<std::uint8_t> bytes) {
    b_.insert(b_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  PacketBuilder& raw(std::string_view bytes) {
    for (char c : bytes) b_.push_back(static_cast<std::uint8_t>(c));
    return *this;
  }
  PacketBuilder& raw(std::span<const std::uint8_t> bytes) {
    b_.insert(b_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  /// An uncompressed wire name from presentation text (must be valid).
  PacketBuilder& name(std::string_view text) {
    auto r = core::Name::from_text(text);
    if (!r.is_ok()) throw std::invalid_argument(std::string(text));
    return raw(r.value().wire());
  }
  /// The 12-byte header.
  PacketBuilder& header(std::uint16_t id, std::uint8_t flags1, std::uint8_t flags2, std::uint16_t qd,
                        std::uint16_t an, std::uint16_t ns, std::uint16_t ar) {
    return u16(id).u8(flags1).u8(flags2).u16(qd).u16(an).u16(ns).u16(ar);
  }
  PacketBuilder& question(std::string_view qname, std::uint16_t qtype,
                          std::uint16_t qclass = core::rrclass::kIN) {
    return name(qname).u16(qtype).u16(qclass);
  }
  /// An OPT record with the given owner byte(s) (root: {0}).
  PacketBuilder& opt(std::uint16_t udp_size, std::uint8_t version = 0, bool do_bit = false,
                     std::initializer_list<std::uint8_t> owner = {0}) {
    raw(owner).u16(core::rrtype::kOPT).u16(udp_size).u8(0).u8(version);
    return u8(do_bit ? 0x80 : 0).u8(0).u16(0);
  }
  /// A resource record with a pointer owner (to offset 12) and opaque rdata.
  PacketBuilder& rr(std::uint16_t type, std::uint32_t ttl, std::initializer_list<std::uint8_t> rdata) {
    u16(0xc00c).u16(type).u16(core::rrclass::kIN).u32(ttl);
    u16(static_cast<std::uint16_t>(rdata.size()));
    return raw(rdata);
  }

  std::size_t size() const { return b_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return b_; }
  std::vector<std::uint8_t> take() { return std::move(b_); }
  operator std::span<const std::uint8_t>() const { return b_; }  // NOLINT: convenience

 private:
  std::vector<std::uint8_t> b_;
};

/// A standard query: header with RD, one question, and nothing else.
inline std::vector<std::uint8_t> make_query(std::string_view qname, std::uint16_t qtype,
                                            std::uint16_t qclass = core::rrclass::kIN,
                                            std::uint16_t id = 0x1234) {
  return PacketBuilder().header(id, core::kFlagRD, 0, 1, 0, 0, 0).question(qname, qtype, qclass).take();
}

/// The same with one OPT record in the additional section.
inline std::vector<std::uint8_t> make_edns_query(std::string_view qname, std::uint16_t qtype,
                                                 std::uint16_t udp_size, bool do_bit = false,
                                                 std::uint16_t id = 0x1234) {
  return PacketBuilder()
      .header(id, core::kFlagRD, 0, 1, 0, 0, 1)
      .question(qname, qtype)
      .opt(udp_size, 0, do_bit)
      .take();
}

}  // namespace fastrbl::test
