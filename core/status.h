#pragma once
// Status and Result<T>: how library code (core, zones, loader) reports failure.
//
// A Status is either OK or carries a human-readable message. The OK path costs one
// null pointer: no allocation, nothing to free (LevelDB's Status idea). Errors allocate
// their message; they are for load and configuration paths, never for the query path,
// which reports through return codes instead.
//
// Thread safety: a Status or Result is a plain value; distinct objects may be used from
// distinct threads, one object must not be written concurrently.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fastrbl::core {

class Status {
 public:
  Status() noexcept = default;
  Status(const Status& other) : msg_(other.msg_ ? std::make_unique<std::string>(*other.msg_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) msg_ = other.msg_ ? std::make_unique<std::string>(*other.msg_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status ok() noexcept { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.msg_ = std::make_unique<std::string>(std::move(message));
    return s;
  }

  bool is_ok() const noexcept { return msg_ == nullptr; }
  /// The error text; empty for OK.
  std::string_view message() const noexcept { return msg_ ? std::string_view(*msg_) : std::string_view(); }

 private:
  std::unique_ptr<std::string> msg_;  // null means OK
};

/// A value or the Status explaining why there is none.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool is_ok() const noexcept { return value_.has_value(); }
  const Status& status() const noexcept { return status_; }
  /// Requires: is_ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace fastrbl::core
