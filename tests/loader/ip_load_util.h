#pragma once
// Helpers for the IP dataset load tests (ip4tset, ip4trie, ip6trie, ip6tset): write data
// files, load them as one dataset "bl:TYPE:a,b,..." and collect the answers, warnings and
// the info line; check_rows() runs table rows of (data, questions, warnings).

#include "loader/load.h"
#include "tests/loader/loader_test_util.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <array>
#include <string>
#include <utility>
#include <vector>

namespace fastrbl::testing {

using Lines = std::vector<std::string>;

using IpLoaded = LoadedZone;

inline IpLoaded load_ip(const std::string& type,
                        const std::vector<std::pair<std::string, std::string>>& files,
                        loader::LoadOptions opts = {}) {
  return load_files("bl", type, files, opts);
}

struct IpQ {
  std::string name;  // relative to the zone
  bool found;
  Rrs rrs;
};

struct IpCase {
  std::string data;
  std::vector<IpQ> queries;
  Lines warnings;
};

inline void check_ip_rows(const std::string& type, const std::vector<IpCase>& rows,
                          const loader::LoadOptions& opts = {}) {
  for (const IpCase& r : rows) {
    IpLoaded l = load_ip(type, {{"f", r.data}}, opts);
    INFO("data: " << r.data);
    REQUIRE(l.error.is_ok());
    CHECK(l.warnings == r.warnings);
    for (const IpQ& q : r.queries) {
      Answer a = ask(*l.snap, q.name + ".bl");
      INFO("query: " << q.name);
      CHECK(a.found == q.found);
      CHECK(a.rrs == q.rrs);
    }
  }
}

/// The reversed nibble name of an IPv6 address (read by inet_pton, independently of the
/// loader), e.g. "1.0.0.0...8.b.d.0.1.0.0.2" for 2001:db8::1.
inline std::string rev6(const std::string& text) {
  std::array<unsigned char, 16> a{};
  REQUIRE(::inet_pton(AF_INET6, text.c_str(), a.data()) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 16; i-- > 0;) {
    out += kHex[a[i] & 15];
    out += '.';
    out += kHex[a[i] >> 4];
    if (i != 0) out += '.';
  }
  return out;
}

}  // namespace fastrbl::testing
