#include "loader/value_parser.h"

#include "loader/parse_util.h"

namespace fastrbl::loader {

std::optional<RawValue> parse_value(std::string_view text, const RawValue& def, LoadDiagnostics& diag) {
  RawValue v;
  std::string_view rest = text;
  if (!rest.empty() && rest[0] == ':') {
    auto addr = parse_ip4_addr(rest.substr(1));
    if (!addr || addr->addr == 0) {
      diag.warn("invalid A RR");
      return std::nullopt;
    }
    std::uint32_t a = addr->addr;
    if (addr->bits == 8) a |= 0x7f000000u;  // `:2` is 127.0.0.2
    v.a = {static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
           static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
    rest = skip_space(rest.substr(1 + addr->end));
    if (rest.empty()) {  // A only: the default's TXT
      v.txt = def.txt;
      return v;
    }
    if (rest[0] != ':') {
      diag.warn("unrecognized value for an entry");
      return std::nullopt;
    }
    rest = skip_space(rest.substr(1));
  } else {
    v.a = def.a;
  }
  if (rest.size() > kMaxTxtTemplate) {
    diag.warn("TXT RR truncated to 255 bytes");
    rest = rest.substr(0, kMaxTxtTemplate);
  }
  v.txt = rest;
  return v;
}

}  // namespace fastrbl::loader
