#include "core/dname.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace fastrbl::core {

Result<Name> Name::from_text(std::string_view text) {
  Name n;
  std::array<std::uint8_t, kMaxNameLen> buf{};
  std::size_t pos = 0;  // write position in buf
  std::size_t label_start = 0;
  std::uint8_t labels = 0;
  bool in_label = false;
  auto close_label = [&]() -> bool {
    if (!in_label) return true;  // empty label: skipped, as rbldnsd does
    std::size_t llen = pos - label_start - 1;
    if (llen > kMaxLabelLen) return false;
    buf[label_start] = static_cast<std::uint8_t>(llen);
    ++labels;
    in_label = false;
    return true;
  };
  auto put = [&](std::uint8_t c) -> bool {
    if (!in_label) {
      if (pos + 1 >= kMaxNameLen) return false;  // need room for length and root
      label_start = pos++;
      in_label = true;
    }
    if (pos + 1 >= kMaxNameLen) return false;
    buf[pos++] = c;
    return true;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<std::uint8_t>(text[i]);
    if (c == '.') {
      if (!close_label()) return Status::error("label too long");
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) return Status::error("bad escape at end of name");
      auto d = static_cast<std::uint8_t>(text[i + 1]);
      if (d >= '0' && d <= '9') {
        unsigned v = 0;
        for (std::size_t k = 1; k <= 3; ++k) {
          if (i + k >= text.size()) return Status::error("bad \\DDD escape");
          auto dk = static_cast<std::uint8_t>(text[i + k]);
          if (dk < '0' || dk > '9') return Status::error("bad \\DDD escape");
          v = v * 10 + (dk - '0');
        }
        if (v > 255) return Status::error("bad \\DDD escape");
        c = static_cast<std::uint8_t>(v);
        i += 3;
      } else {
        c = d;
        i += 1;
      }
    }
    if (!put(c)) return Status::error("name too long");
  }
  if (!close_label()) return Status::error("label too long");
  if (pos + 1 > kMaxNameLen) return Status::error("name too long");
  buf[pos++] = 0;
  std::copy(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(pos), n.data_.begin());
  n.len_ = static_cast<std::uint8_t>(pos);
  n.labels_ = labels;
  return n;
}

bool Name::from_wire(std::span<const std::uint8_t> wire, Name* out) noexcept {
  std::size_t pos = 0;
  std::uint8_t labels = 0;
  while (true) {
    if (pos >= wire.size()) return false;
    std::uint8_t len = wire[pos];
    if (len == 0) break;
    if (len > kMaxLabelLen) return false;
    if (wire.size() - pos - 1 < len) return false;
    pos += 1u + len;
    if (pos >= kMaxNameLen) return false;
    ++labels;
  }
  ++pos;  // root byte
  std::copy(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(pos), out->data_.begin());
  out->len_ = static_cast<std::uint8_t>(pos);
  out->labels_ = labels;
  return true;
}

void Name::to_lower() noexcept {
  std::size_t pos = 0;
  while (data_[pos] != 0) {
    std::size_t len = data_[pos];
    for (std::size_t k = 1; k <= len; ++k) data_[pos + k] = lower(data_[pos + k]);
    pos += len + 1;
  }
}

Name Name::lowered() const noexcept {
  Name n = *this;
  n.to_lower();
  return n;
}

bool Name::equals_ci(const Name& other) const noexcept {
  if (len_ != other.len_) return false;
  for (std::size_t i = 0; i < len_; ++i)
    if (lower(data_[i]) != lower(other.data_[i])) return false;
  return true;
}

bool Name::is_subdomain_of(const Name& parent) const noexcept {
  if (parent.labels_ > labels_) return false;
  std::size_t pos = 0;
  for (std::size_t skip = labels_ - parent.labels_; skip > 0; --skip) pos += data_[pos] + 1u;
  if (len_ - pos != parent.len_) return false;
  for (std::size_t i = 0; i < parent.len_; ++i)
    if (lower(data_[pos + i]) != lower(parent.data_[i])) return false;
  return true;
}

bool Name::append(const Name& suffix) noexcept {
  std::size_t total = len_ - 1u + suffix.len_;
  if (total > kMaxNameLen) return false;
  std::copy(suffix.data_.begin(), suffix.data_.begin() + suffix.len_, data_.begin() + (len_ - 1));
  len_ = static_cast<std::uint8_t>(total);
  labels_ = static_cast<std::uint8_t>(labels_ + suffix.labels_);
  return true;
}

namespace {

// The bytes a name's text shows as they are: printable, not a separator nor one that
// dns_dntop escapes with a backslash.
constexpr std::array<bool, 256> make_plain_bytes() noexcept {
  std::array<bool, 256> t{};
  for (std::size_t c = 0x21; c < 0x7f; ++c)
    t[c] = c != '.' && c != ';' && c != '"' && c != '\\' && c != '@' && c != '$';
  return t;
}
constexpr std::array<bool, 256> kPlainByte = make_plain_bytes();

}  // namespace

std::size_t name_to_text(const std::uint8_t* wire, std::span<char> out) noexcept {
  std::size_t o = 0;
  auto emit = [&](char c) {
    if (o < out.size()) out[o++] = c;
  };
  if (wire[0] == 0) {
    emit('.');
    return o;
  }
  std::size_t pos = 0;
  bool first = true;
  while (wire[pos] != 0) {
    if (!first) emit('.');
    first = false;
    const std::size_t len = wire[pos];
    const std::uint8_t* l = wire + pos + 1;
    pos += len + 1;
    // Most labels: plain bytes that fit, copied while they are checked.
    if (len <= out.size() - o) {
      bool plain = true;
      for (std::size_t k = 0; k < len; ++k) {
        out[o + k] = static_cast<char>(l[k]);
        plain &= kPlainByte[l[k]];
      }
      if (plain) {
        o += len;
        continue;
      }
    }
    for (std::size_t k = 0; k < len; ++k) {
      const std::uint8_t c = l[k];
      if (c <= 0x20 || c >= 0x7f) {
        emit('\\');
        emit(static_cast<char>('0' + c / 100));
        emit(static_cast<char>('0' + (c / 10) % 10));
        emit(static_cast<char>('0' + c % 10));
      } else {
        if (!kPlainByte[c]) emit('\\');
        emit(static_cast<char>(c));
      }
    }
  }
  return o;
}

std::string Name::to_text() const {
  std::array<char, kMaxNameLen * 4 + 1> buf{};
  std::size_t n = name_to_text(data_.data(), buf);
  return std::string(buf.data(), n);
}

}  // namespace fastrbl::core
