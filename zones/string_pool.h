#pragma once
// StringPool: stable storage for the strings a dataset refers to (TXT templates,
// substitution variables). Interned strings never move, so string_views into the pool
// stay valid for the pool's lifetime, which is the owning dataset's. Built on the loader
// thread, then only read. Thread safety: not for concurrent writers; reads of interned
// strings are safe from any thread once the dataset is published.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace fastrbl::zones {

class StringPool {
 public:
  /// Copies `s` into the pool and returns a view of the copy.
  std::string_view intern(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > kChunk / 4) {  // big strings get their own block
      blocks_.push_back(std::make_unique<char[]>(s.size()));
      std::memcpy(blocks_.back().get(), s.data(), s.size());
      bytes_ += s.size();
      return {blocks_.back().get(), s.size()};
    }
    if (blocks_.empty() || used_ + s.size() > kChunk || !current_) {
      blocks_.push_back(std::make_unique<char[]>(kChunk));
      current_ = blocks_.back().get();
      used_ = 0;
      bytes_ += kChunk;
    }
    char* p = current_ + used_;
    std::memcpy(p, s.data(), s.size());
    used_ += s.size();
    return {p, s.size()};
  }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  static constexpr std::size_t kChunk = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* current_ = nullptr;
  std::size_t used_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace fastrbl::zones
