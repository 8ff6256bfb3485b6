#pragma once
// Name: a DNS domain name in wire format held in fixed 255-byte storage.
//
// Names are built from presentation text (data files, command line) or copied from the
// wire. They never allocate, so they may live on the stack on the query path. Case is
// kept as given; lowered() and equals_ci() give the case-insensitive (ASCII) view DNS
// requires. Thread safety: a plain value.

#include "core/dns.h"
#include "core/status.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fastrbl::core {

class Name {
 public:
  /// The root name ".".
  Name() noexcept = default;

  /// Parses presentation text as rbldnsd does: `\DDD` and `\c` escapes, an optional
  /// trailing dot, empty labels (`a..b`) skipped. Fails on a label over 63 bytes, a name
  /// over 255 bytes or a bad escape. "" and "." give the root.
  static Result<Name> from_text(std::string_view text);

  /// Copies an uncompressed wire name. Returns false (and leaves *out unchanged) if the
  /// bytes are not a well-formed uncompressed name within `wire`.
  static bool from_wire(std::span<const std::uint8_t> wire, Name* out) noexcept;

  std::span<const std::uint8_t> wire() const noexcept { return {data_.data(), len_}; }
  const std::uint8_t* data() const noexcept { return data_.data(); }
  /// Wire length including the root byte (1 for the root).
  std::size_t size() const noexcept { return len_; }
  std::size_t label_count() const noexcept { return labels_; }
  bool is_root() const noexcept { return labels_ == 0; }

  void to_lower() noexcept;
  Name lowered() const noexcept;
  bool equals_ci(const Name& other) const noexcept;
  /// True if this name equals `parent` or lies below it (case-insensitive, label-aligned).
  bool is_subdomain_of(const Name& parent) const noexcept;
  /// Appends `suffix` (e.g. a zone) to this relative name. False if the result is too long.
  bool append(const Name& suffix) noexcept;

  /// Presentation text, escaped as rbldnsd's dns_dntop does: bytes <= 0x20 or >= 0x7f as
  /// \DDD, a backslash before . ; " \ @ $. The root is ".". No trailing dot otherwise.
  std::string to_text() const;

  friend bool operator==(const Name& a, const Name& b) noexcept {
    return a.len_ == b.len_ && std::equal(a.data_.begin(), a.data_.begin() + a.len_, b.data_.begin());
  }

 private:
  std::array<std::uint8_t, kMaxNameLen> data_{};  // data_[0] == 0: root
  std::uint8_t len_ = 1;
  std::uint8_t labels_ = 0;
};

/// Writes presentation text of an uncompressed wire name into `out` (as Name::to_text).
/// Returns the number of chars written; stops (truncates) at out.size(). No allocation.
std::size_t name_to_text(const std::uint8_t* wire, std::span<char> out) noexcept;

}  // namespace fastrbl::core
