#pragma once
// Strict IP prefix text for feed formats (not rbldnsd's lax forms, which the rbldnsd
// reader takes from loader/parse_util.h): `a.b.c.d`, `a.b.c.d/n`, an IPv6 address as
// inet_pton(3) reads it, optionally `/n`. A bare address is a /32 or /128. Host bits set
// beyond the prefix are an error unless the caller asks for them to be cleared. Pure
// functions; thread-safe.

#include "core/status.h"
#include "feeds/entry.h"

#include <string_view>

namespace fastrbl::feeds {

enum class HostBits : bool { kReject, kClear };

/// Parses `text` (no surrounding blanks) as an IPv4 or IPv6 prefix. Errors name the
/// problem: "invalid IP address `x'", "invalid prefix length in `x'", "host bits set in
/// `10.0.0.1/8' (the network is 10.0.0.0/8)".
core::Result<IpPrefix> parse_ip_prefix(std::string_view text, HostBits host_bits = HostBits::kReject);

/// True if `text` looks like an address rather than a name: it contains ':' or consists of
/// digits, dots and one optional `/n` only. Readers use it to choose between an IP entry
/// and a domain entry (and to report "invalid IP address" rather than "invalid name").
bool looks_like_ip(std::string_view text) noexcept;

}  // namespace fastrbl::feeds
