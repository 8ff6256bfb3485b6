#pragma once
// PeerAddress: a client address (IPv4 or IPv6 text) as the sockaddr that answer() and the
// query log receive. Test-only code. Thread safety: a plain value.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>

namespace fastrbl::testing {

struct PeerAddress {
  sockaddr_storage ss{};
  explicit PeerAddress(const std::string& text) {
    if (text.find(':') != std::string::npos) {
      sockaddr_in6 s{};
      s.sin6_family = AF_INET6;
      REQUIRE(inet_pton(AF_INET6, text.c_str(), &s.sin6_addr) == 1);
      std::memcpy(&ss, &s, sizeof s);
    } else {
      sockaddr_in s{};
      s.sin_family = AF_INET;
      REQUIRE(inet_pton(AF_INET, text.c_str(), &s.sin_addr) == 1);
      std::memcpy(&ss, &s, sizeof s);
    }
  }
  const sockaddr* sa() const {
    return static_cast<const sockaddr*>(static_cast<const void*>(&ss));  // the sockaddr API
  }
};

}  // namespace fastrbl::testing
