#pragma once
// Dataset images: one compiled dataset index as one self-checking byte string, the value
// a dataset occupies in the LMDB store (docs/LMDB_SCHEMA.md, "Dataset image").
//
// An image is a header, a section table and sections. Sections hold flat arrays (the
// interval starts of an ip4set, a dnset's hash slots) and CRoaring frozen bitmaps, laid
// out so that the dataset can be served from the image bytes in place: every section
// starts at an image offset of 16 modulo 32, so that when the image itself starts 16 bytes
// after a 32-byte boundary (which is where LMDB puts a value stored in overflow pages:
// page + 16-byte page header) every section is 32-byte aligned, as
// roaring_bitmap_frozen_view() requires. open_image() copies an image that is not so
// placed into an aligned heap buffer first (and says so), so any bytes are accepted.
//
// The checksum (CRC-32 of everything after the first 16 bytes) is verified before any
// section is looked at; a truncated or corrupted image is refused with a message.
//
// Opening an image reads all of it once (the checksum, the bounds checks). For an image in
// a shared, read-only file mapping (the LMDB store), open_image(..., release_scanned) reads
// it in 1 MiB stretches and drops each stretch from the process's page tables once read
// (MADV_DONTNEED: the page cache keeps the pages, a later read maps them again), so that
// opening a new image while the old one serves does not add the whole new image to the
// process's RSS; only the pages queries touch are mapped afterwards.
//
// Ownership: ImageWriter owns the bytes it builds. ImageView borrows the image bytes;
// the datasets made by open_image() keep the bytes alive through the `owner` they are
// given (a store read transaction, or a heap copy). Thread safety: an ImageWriter is used
// by one thread; ImageView and the opened datasets are immutable.

#include "core/status.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace fastrbl::zones {

class Dataset;
struct DatasetMeta;
struct Value;

/// The image layout version (header, meta encoding, every type's sections). Part of the
/// store's schema version.
inline constexpr std::uint32_t kImageFormat = 2;
/// Sections start at an image offset of kImageAlignOffset modulo kImageAlign.
inline constexpr std::size_t kImageAlign = 32;
inline constexpr std::size_t kImageAlignOffset = 16;

enum class ImageType : std::uint32_t {
  kIp4Set = 1,
  kDnSet = 2,
  kIp4TSet = 3,
  kIp6TSet = 4,
  kIp4Trie = 5,
  kIp6Trie = 6,
  kGeneric = 7,
  kCombined = 8,
  kAcl = 9,
};

/// Appends little-endian integers and length-prefixed strings (meta sections).
class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  /// u32 length, then the bytes.
  void str(std::string_view s);
  std::span<const std::uint8_t> bytes() const noexcept { return out_; }

 private:
  std::vector<std::uint8_t> out_;
};

/// Reads what ByteWriter wrote, with bounds checks: a read past the end sets failed()
/// and yields zeros / empty views. Views point into the borrowed bytes.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) noexcept : in_(in) {}
  std::uint8_t u8() noexcept;
  std::uint32_t u32() noexcept;
  std::uint64_t u64() noexcept;
  std::string_view str() noexcept;
  bool failed() const noexcept { return failed_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

/// Builds one image. Sections are numbered in the order they are added.
class ImageWriter {
 public:
  /// The dataset type the image holds (Dataset::write_image() sets it).
  void set_type(ImageType type) noexcept { type_ = type; }
  void add(std::span<const std::uint8_t> bytes);
  template <class T>
  void add_array(std::span<const T> items) {
    static_assert(std::is_trivially_copyable_v<T>);
    add({reinterpret_cast<const std::uint8_t*>(items.data()), items.size_bytes()});
  }
  /// The whole image: header, section table, sections, checksum.
  std::vector<std::uint8_t> finish() const;

 private:
  ImageType type_{};
  std::vector<std::vector<std::uint8_t>> sections_;
};

/// Drops the whole pages inside `bytes` from this process's page tables
/// (MADV_DONTNEED). Requires: `bytes` lies in a read-only shared file mapping (or memory
/// whose contents may be discarded); for such a mapping the contents are unchanged, the
/// next read maps the page again from the page cache.
void release_pages(std::span<const std::uint8_t> bytes) noexcept;

/// How many bytes scan() and the checksum read between two releases.
inline constexpr std::size_t kReleaseStretch = std::size_t{1} << 20;

/// A checked image. Sections are aligned as their position allows (see aligned()).
class ImageView {
 public:
  /// Checks magic, format, byte order, length, checksum and the section table.
  /// Errors: "dataset image: <what>" (e.g. "checksum mismatch", "truncated").
  /// `release_scanned`: the bytes are a read-only shared file mapping; the checksum pass
  /// and scan() drop what they have read from the page tables as they go (see above).
  static core::Result<ImageView> open(std::span<const std::uint8_t> bytes, bool release_scanned = false);

  ImageType type() const noexcept { return type_; }
  std::size_t sections() const noexcept { return sections_.size(); }
  std::span<const std::uint8_t> section(std::size_t i) const noexcept { return sections_[i]; }
  /// Section `i` as an array of T. Fails unless its length is a multiple of sizeof(T) and
  /// it is aligned for T. The view lives as long as the image bytes.
  template <class T>
  core::Result<std::span<const T>> array(std::size_t i) const {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::span<const std::uint8_t> s = sections_[i];
    if (s.size() % sizeof(T) != 0 || reinterpret_cast<std::uintptr_t>(s.data()) % alignof(T) != 0)
      return core::Status::error("dataset image: section " + std::to_string(i) +
                                 " has a bad size or alignment");
    return std::span<const T>(reinterpret_cast<const T*>(s.data()), s.size() / sizeof(T));
  }
  /// True if the image starts kImageAlignOffset bytes after a kImageAlign boundary, so
  /// that every section is kImageAlign-aligned.
  bool aligned() const noexcept;
  std::uint32_t checksum() const noexcept { return checksum_; }
  /// True when reads of the open checks are dropped from the page tables as they go.
  bool releases_scanned() const noexcept { return release_scanned_; }
  /// Drops `bytes` (part of this image, already read) from the page tables when
  /// releases_scanned(); otherwise nothing.
  void release(std::span<const std::uint8_t> bytes) const noexcept {
    if (release_scanned_) release_pages(bytes);
  }

 private:
  std::span<const std::uint8_t> bytes_;
  ImageType type_{};
  std::uint32_t checksum_ = 0;
  bool release_scanned_ = false;
  std::vector<std::span<const std::uint8_t>> sections_;
};

/// Views section `i` of `image` as an array of T in *out (see ImageView::array()).
template <class T>
core::Status view_array(const ImageView& image, std::size_t i, std::span<const T>* out) {
  if (i >= image.sections())
    return core::Status::error("dataset image: section " + std::to_string(i) + " missing");
  auto a = image.array<T>(i);
  if (!a.is_ok()) return a.status();
  *out = a.value();
  return core::Status::ok();
}

/// Calls f(element) for the elements of `a` (part of `image`) in order while f returns
/// true, releasing each kReleaseStretch bytes read (ImageView::release()). Returns false
/// if f returned false. For the open checks that read whole arrays.
template <class T, class F>
bool scan(const ImageView& image, std::span<const T> a, F&& f) {
  constexpr std::size_t kStep = kReleaseStretch / sizeof(T) > 0 ? kReleaseStretch / sizeof(T) : 1;
  for (std::size_t begin = 0; begin < a.size(); begin += kStep) {
    const std::span<const T> part = a.subspan(begin, std::min(kStep, a.size() - begin));
    for (const T& x : part)
      if (!f(x)) return false;
    image.release({reinterpret_cast<const std::uint8_t*>(part.data()), part.size_bytes()});
  }
  return true;
}

/// True if every element is less than the next.
template <class T>
bool strictly_ascending(std::span<const T> a) noexcept {
  for (std::size_t i = 1; i < a.size(); ++i)
    if (!(a[i - 1] < a[i])) return false;
  return true;
}

/// The CRC-32 an image carries (read from its header without verifying it); 0 for
/// bytes too short to be an image.
std::uint32_t image_checksum(std::span<const std::uint8_t> image) noexcept;

/// Writes `d` as an image. Errors: "dataset type X has no image format" for a type
/// not yet stored.
core::Result<std::vector<std::uint8_t>> write_image(const Dataset& d);

/// A nested image inside a section (combined): the section is kImageAlignOffset zero bytes
/// and the image, so that a nested image is placed as LMDB places a top-level one.
void add_nested_image(ImageWriter& out, std::span<const std::uint8_t> image);
/// The nested image of section `i`, or an error.
core::Result<std::span<const std::uint8_t>> nested_image(const ImageView& image, std::size_t i);

/// How open_image() used the bytes.
struct OpenedImage {
  std::shared_ptr<const Dataset> dataset;
  bool in_place = false;  // served from the given bytes (false: from an aligned heap copy)
};

/// Checks `bytes` and makes the dataset it holds. The dataset serves from the bytes in
/// place where the type's layout allows (and keeps `owner` alive, which must keep the
/// bytes valid); a misaligned image is first copied into an aligned heap buffer.
/// `release_scanned`: the bytes are a read-only shared file mapping; what the checks read
/// is dropped from the page tables as they go, and the whole image once it is open (so
/// only what queries read is mapped afterwards). Ignored for a heap copy.
core::Result<OpenedImage> open_image(std::span<const std::uint8_t> bytes, std::shared_ptr<const void> owner,
                                     bool release_scanned = false);

/// Values (A + TXT) as two sections: 12-byte records {a[4], u32 offset, u32 length} and
/// the TXT bytes they point into.
void write_values(ImageWriter& out, std::span<const Value> values);
/// Reads the two sections from `first` on; the TXT views point into the image.
core::Status read_values(const ImageView& image, std::size_t first, std::vector<Value>* out);

// Meta encoding shared by every type (section 0 of an image).
void write_meta(ByteWriter& w, const DatasetMeta& meta);
/// Views in `meta->txt` point into `in`.
bool read_meta(ByteReader& r, DatasetMeta* meta);

}  // namespace fastrbl::zones
