#include "zones/txt_template.h"

#include <cstring>

namespace fastrbl::zones {

std::size_t expand_txt(std::string_view tmpl, const TxtVars& vars, std::string_view subject,
                       std::span<char, kMaxTxtLen> out) noexcept {
  std::string_view body;
  std::string_view self;  // what `$=` expands to
  if (!tmpl.empty() && tmpl[0] == '=') {
    body = tmpl.substr(1);
    self = body;
  } else if (!vars.base.empty()) {
    body = vars.base;
    self = tmpl.empty() ? subject : tmpl;
  } else {
    body = tmpl;
    self = tmpl;
  }
  std::size_t len = 0;
  auto put = [&](std::string_view s) {
    std::size_t n = s.size() < kMaxTxtLen - len ? s.size() : kMaxTxtLen - len;
    if (n != 0) std::memcpy(out.data() + len, s.data(), n);
    len += n;
  };
  std::size_t i = 0;
  while (i < body.size() && len < kMaxTxtLen) {
    std::size_t d = body.find('$', i);
    if (d == std::string_view::npos) {
      put(body.substr(i));
      break;
    }
    put(body.substr(i, d - i));
    i = d + 1;
    if (i < body.size() && body[i] == '$') {
      put("$");
      ++i;
    } else if (i < body.size() && body[i] >= '0' && body[i] <= '9') {
      auto v = static_cast<std::size_t>(body[i] - '0');
      put(vars.defined[v] ? vars.var[v] : body.substr(i - 1, 2));
      ++i;
    } else if (i < body.size() && body[i] == '=') {
      put(self);
      ++i;
    } else {
      put(subject);  // the following character, if any, is kept
    }
  }
  return len;
}

}  // namespace fastrbl::zones
