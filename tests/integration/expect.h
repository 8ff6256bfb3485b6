#pragma once
// Checks of one response, parsed by ldns (the independent oracle of the integration tests).

#include "dns_client.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace fastrbl::test {

struct Expect {
  std::uint16_t id = 0;
  ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
  bool tc = false;
  std::vector<std::string> a;    // A rdata in the answer section (any order)
  std::vector<std::string> txt;  // TXT rdata in the answer section (any order)
  bool soa_authority = false;    // a SOA in the authority section (negative answers)
  int answers = -1;              // exact ANCOUNT when >= 0
};

inline Expect answer_a(std::uint16_t id, std::vector<std::string> a, int answers = -1) {
  Expect e;
  e.id = id;
  e.a = std::move(a);
  e.answers = answers;
  return e;
}
inline Expect answer_txt(std::uint16_t id, std::vector<std::string> txt, int answers = -1) {
  Expect e;
  e.id = id;
  e.txt = std::move(txt);
  e.answers = answers;
  return e;
}
/// NXDOMAIN with the zone's SOA in the authority section and no answers.
inline Expect nxdomain(std::uint16_t id) {
  Expect e;
  e.id = id;
  e.rcode = LDNS_RCODE_NXDOMAIN;
  e.soa_authority = true;
  e.answers = 0;
  return e;
}
inline Expect rcode_only(std::uint16_t id, ldns_pkt_rcode rcode) {
  Expect e;
  e.id = id;
  e.rcode = rcode;
  e.answers = 0;
  return e;
}

/// REQUIREs a reply that ldns parses and that matches `e`; returns the packet.
inline Packet check_reply(const std::optional<Bytes>& wire, const Expect& e) {
  REQUIRE(wire.has_value());
  Packet p = parse(*wire);
  REQUIRE(p != nullptr);
  CHECK(ldns_pkt_id(p.get()) == e.id);
  CHECK(ldns_pkt_qr(p.get()));
  CHECK(ldns_pkt_get_rcode(p.get()) == e.rcode);
  CHECK(ldns_pkt_tc(p.get()) == e.tc);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(sorted(rdata_of(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_A)) == sorted(e.a));
  CHECK(sorted(rdata_of(ldns_pkt_answer(p.get()), LDNS_RR_TYPE_TXT)) == sorted(e.txt));
  if (e.soa_authority) CHECK(rdata_of(ldns_pkt_authority(p.get()), LDNS_RR_TYPE_SOA).size() == 1);
  if (e.answers >= 0) CHECK(ldns_pkt_ancount(p.get()) == static_cast<std::uint16_t>(e.answers));
  return p;
}

}  // namespace fastrbl::test
