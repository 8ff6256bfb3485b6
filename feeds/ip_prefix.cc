#include "feeds/ip_prefix.h"

#include <arpa/inet.h>
#include <charconv>
#include <string>

namespace fastrbl::feeds {
namespace {

std::string quote(std::string_view s) { return "`" + std::string(s) + "'"; }

bool host_bits_set(const IpPrefix& p) noexcept {
  const int total = p.v6 ? 128 : 32;
  for (int bit = p.bits; bit < total; ++bit) {
    const auto byte = static_cast<std::size_t>(bit / 8);
    if ((p.addr[byte] >> (7 - bit % 8)) & 1) return true;
  }
  return false;
}

void clear_host_bits(IpPrefix& p) noexcept {
  const int total = p.v6 ? 128 : 32;
  for (int bit = p.bits; bit < total; ++bit) {
    const auto byte = static_cast<std::size_t>(bit / 8);
    p.addr[byte] = static_cast<std::uint8_t>(p.addr[byte] & ~(1u << (7 - bit % 8)));
  }
}

}  // namespace

core::Result<IpPrefix> parse_ip_prefix(std::string_view text, HostBits host_bits) {
  const std::size_t slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  // inet_pton needs a NUL-terminated string; INET6_ADDRSTRLEN bounds any valid address.
  if (addr_text.empty() || addr_text.size() >= INET6_ADDRSTRLEN) {
    return core::Status::error("invalid IP address " + quote(text));
  }
  const std::string addr(addr_text);
  IpPrefix p;
  p.v6 = addr.find(':') != std::string::npos;
  if (inet_pton(p.v6 ? AF_INET6 : AF_INET, addr.c_str(), p.addr.data()) != 1) {
    return core::Status::error("invalid IP address " + quote(text));
  }
  const int max_bits = p.v6 ? 128 : 32;
  p.bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    int bits = -1;
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (len.empty() || len.size() > 3 || ec != std::errc() || end != len.data() + len.size() || bits < 0 ||
        bits > max_bits) {
      return core::Status::error("invalid prefix length in " + quote(text));
    }
    p.bits = bits;
  }
  if (host_bits_set(p)) {
    IpPrefix net = p;
    clear_host_bits(net);
    if (host_bits == HostBits::kReject) {
      return core::Status::error("host bits set in " + quote(text) + " (the network is " + net.to_string() +
                                 ")");
    }
    p = net;
  }
  return p;
}

bool looks_like_ip(std::string_view text) noexcept {
  if (text.empty()) return false;
  if (text.find(':') != std::string_view::npos) return true;
  bool digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '.' && c != '/') {
      return false;
    }
  }
  return digit;
}

std::string IpPrefix::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf.data(), static_cast<socklen_t>(buf.size())) ==
      nullptr) {
    return "?";
  }
  return std::string(buf.data()) + "/" + std::to_string(bits);
}

}  // namespace fastrbl::feeds
