#include "zones/image.h"

#include "zones/acl.h"
#include "zones/combined.h"
#include "zones/dataset.h"
#include "zones/dnset.h"
#include "zones/generic.h"
#include "zones/huge_pages.h"
#include "zones/ip4set.h"
#include "zones/ip4trie.h"
#include "zones/ip4tset.h"
#include "zones/ip6trie.h"
#include "zones/ip6tset.h"

#include <zlib.h>

#include <array>
#include <cstdlib>
#include <new>
#include <sys/mman.h>
#include <unistd.h>

namespace fastrbl::zones {
namespace {

// Header (docs/LMDB_SCHEMA.md):
//   0  magic "FRBLIMG\0"     8  u32 format        12 u32 crc32 of bytes [16, total)
//   16 u32 byte-order mark   20 u32 type          24 u64 total length
//   32 u32 section count     36 u32 reserved (0)
//   40 section table: count x {u64 offset, u64 length}
//   sections at offsets = 16 (mod 32), zero padding between
constexpr std::array<std::uint8_t, 8> kMagic{'F', 'R', 'B', 'L', 'I', 'M', 'G', 0};
constexpr std::uint32_t kByteOrderMark = 0x01020304;
constexpr std::size_t kHeaderSize = 40;
constexpr std::size_t kMaxSections = 64;

void put32(std::uint8_t* p, std::uint32_t v) noexcept { std::memcpy(p, &v, 4); }
void put64(std::uint8_t* p, std::uint64_t v) noexcept { std::memcpy(p, &v, 8); }
std::uint32_t get32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
std::uint64_t get64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::size_t align_section(std::size_t off) noexcept {
  // The smallest offset >= off with offset % 32 == 16.
  const std::size_t r = (off + kImageAlign - kImageAlignOffset) % kImageAlign;
  return r == 0 ? off : off + (kImageAlign - r);
}

// `release`: drop each stretch from the page tables once it is summed (see image.h).
std::uint32_t crc_of(std::span<const std::uint8_t> bytes, bool release = false) noexcept {
  uLong crc = ::crc32_z(0L, Z_NULL, 0);
  for (std::size_t off = 0; off < bytes.size(); off += kReleaseStretch) {
    const std::span<const std::uint8_t> part =
        bytes.subspan(off, std::min(kReleaseStretch, bytes.size() - off));
    crc = ::crc32_z(crc, part.data(), part.size());
    if (release) release_pages(part);
  }
  return static_cast<std::uint32_t>(crc);
}

core::Status bad(std::string_view what) { return core::Status::error("dataset image: " + std::string(what)); }

// The image as a dataset: a heap copy for a misplaced image.
struct AlignedCopy {
  explicit AlignedCopy(std::span<const std::uint8_t> bytes) {
    // Place the copy 16 bytes after a 32-byte boundary, as LMDB places overflow values.
    const std::size_t n = (bytes.size() + kImageAlign + kImageAlign - 1) / kImageAlign * kImageAlign;
    base = static_cast<std::uint8_t*>(std::aligned_alloc(kImageAlign, n));
    if (base == nullptr) throw std::bad_alloc();
    std::memcpy(base + kImageAlignOffset, bytes.data(), bytes.size());
    data = {base + kImageAlignOffset, bytes.size()};
    prefer_huge_pages(data);
  }
  ~AlignedCopy() { std::free(base); }
  AlignedCopy(const AlignedCopy&) = delete;
  AlignedCopy& operator=(const AlignedCopy&) = delete;
  std::uint8_t* base = nullptr;
  std::span<const std::uint8_t> data;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// ByteWriter / ByteReader

void ByteWriter::u32(std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::u64(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::str(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

std::uint8_t ByteReader::u8() noexcept {
  if (failed_ || in_.size() - pos_ < 1) {
    failed_ = true;
    return 0;
  }
  return in_[pos_++];
}

std::uint32_t ByteReader::u32() noexcept {
  if (failed_ || in_.size() - pos_ < 4) {
    failed_ = true;
    return 0;
  }
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | in_[pos_ + static_cast<std::size_t>(i)];
  pos_ += 4;
  return v;
}

std::uint64_t ByteReader::u64() noexcept {
  const std::uint64_t lo = u32();
  const std::uint64_t hi = u32();
  return lo | (hi << 32);
}

std::string_view ByteReader::str() noexcept {
  const std::uint32_t n = u32();
  if (failed_ || in_.size() - pos_ < n) {
    failed_ = true;
    return {};
  }
  const std::string_view s(reinterpret_cast<const char*>(in_.data() + pos_), n);
  pos_ += n;
  return s;
}

// ---------------------------------------------------------------------------------------
// ImageWriter

void ImageWriter::add(std::span<const std::uint8_t> bytes) {
  sections_.emplace_back(bytes.begin(), bytes.end());
}

std::vector<std::uint8_t> ImageWriter::finish() const {
  const std::size_t table = kHeaderSize + 16 * sections_.size();
  std::vector<std::size_t> offsets;
  std::size_t end = table;
  for (const auto& s : sections_) {
    end = align_section(end);
    offsets.push_back(end);
    end += s.size();
  }
  std::vector<std::uint8_t> out(end, 0);
  std::memcpy(out.data(), kMagic.data(), kMagic.size());
  put32(out.data() + 8, kImageFormat);
  put32(out.data() + 16, kByteOrderMark);
  put32(out.data() + 20, static_cast<std::uint32_t>(type_));
  put64(out.data() + 24, end);
  put32(out.data() + 32, static_cast<std::uint32_t>(sections_.size()));
  for (std::size_t i = 0; i < sections_.size(); ++i) {
    put64(out.data() + kHeaderSize + 16 * i, offsets[i]);
    put64(out.data() + kHeaderSize + 16 * i + 8, sections_[i].size());
    if (!sections_[i].empty()) std::memcpy(out.data() + offsets[i], sections_[i].data(), sections_[i].size());
  }
  put32(out.data() + 12, crc_of(std::span<const std::uint8_t>(out).subspan(16)));
  return out;
}

// ---------------------------------------------------------------------------------------
// ImageView

void release_pages(std::span<const std::uint8_t> bytes) noexcept {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + bytes.size()) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

core::Result<ImageView> ImageView::open(std::span<const std::uint8_t> bytes, bool release_scanned) {
  if (bytes.size() < kHeaderSize) return bad("truncated (" + std::to_string(bytes.size()) + " bytes)");
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) return bad("bad magic (not an image)");
  const std::uint32_t format = get32(bytes.data() + 8);
  if (format != kImageFormat)
    return bad("format " + std::to_string(format) + ", this build reads format " +
               std::to_string(kImageFormat));
  // The length first (a cut image says "truncated"), but only when the byte-order mark
  // shows the header is readable; then the checksum, before anything else is trusted.
  const std::uint64_t total = get64(bytes.data() + 24);
  if (get32(bytes.data() + 16) == kByteOrderMark && total > bytes.size())
    return bad("truncated: header says " + std::to_string(total) + " bytes, have " +
               std::to_string(bytes.size()));
  const std::uint32_t crc = get32(bytes.data() + 12);
  if (crc_of(bytes.subspan(16), release_scanned) != crc) return bad("checksum mismatch (corrupted)");
  if (get32(bytes.data() + 16) != kByteOrderMark) return bad("written on a machine of another byte order");
  if (total != bytes.size())
    return bad("length mismatch: header says " + std::to_string(total) + " bytes, have " +
               std::to_string(bytes.size()));
  ImageView v;
  v.bytes_ = bytes;
  v.checksum_ = crc;
  v.release_scanned_ = release_scanned;
  v.type_ = static_cast<ImageType>(get32(bytes.data() + 20));
  const std::uint32_t n = get32(bytes.data() + 32);
  if (n > kMaxSections || bytes.size() - kHeaderSize < 16 * std::size_t{n}) return bad("bad section table");
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t off = get64(bytes.data() + kHeaderSize + 16 * i);
    const std::uint64_t len = get64(bytes.data() + kHeaderSize + 16 * i + 8);
    if (off > bytes.size() || len > bytes.size() - off || off % kImageAlign != kImageAlignOffset)
      return bad("section " + std::to_string(i) + " out of bounds");
    v.sections_.push_back(bytes.subspan(static_cast<std::size_t>(off), static_cast<std::size_t>(len)));
  }
  return v;
}

bool ImageView::aligned() const noexcept {
  return reinterpret_cast<std::uintptr_t>(bytes_.data()) % kImageAlign == kImageAlignOffset;
}

std::uint32_t image_checksum(std::span<const std::uint8_t> image) noexcept {
  return image.size() < kHeaderSize ? 0 : get32(image.data() + 12);
}

// ---------------------------------------------------------------------------------------
// Values

namespace {

struct StoredValue {
  std::array<std::uint8_t, 4> a;
  std::uint32_t txt_off;
  std::uint32_t txt_len;
};
static_assert(sizeof(StoredValue) == 12);

}  // namespace

void write_values(ImageWriter& out, std::span<const Value> values) {
  std::vector<StoredValue> vals;
  std::string txt;
  for (const Value& v : values) {
    vals.push_back({v.a, static_cast<std::uint32_t>(txt.size()), static_cast<std::uint32_t>(v.txt.size())});
    txt.append(v.txt);
  }
  out.add_array(std::span<const StoredValue>(vals));
  out.add({reinterpret_cast<const std::uint8_t*>(txt.data()), txt.size()});
}

core::Status read_values(const ImageView& image, std::size_t first, std::vector<Value>* out) {
  if (image.sections() < first + 2) return bad("value sections missing");
  auto stored = image.array<StoredValue>(first);
  if (!stored.is_ok()) return stored.status();
  const std::span<const std::uint8_t> txt = image.section(first + 1);
  out->reserve(stored.value().size());
  for (const StoredValue& v : stored.value()) {
    if (v.txt_off > txt.size() || v.txt_len > txt.size() - v.txt_off || v.txt_len > 255)
      return bad("value text out of bounds");
    Value val;
    val.a = v.a;
    val.txt = std::string_view(reinterpret_cast<const char*>(txt.data()) + v.txt_off, v.txt_len);
    out->push_back(val);
  }
  return core::Status::ok();
}

// ---------------------------------------------------------------------------------------
// Meta

void write_meta(ByteWriter& w, const DatasetMeta& m) {
  w.str(m.type);
  w.str(m.spec);
  w.u32(m.ttl);
  w.u8(m.soa.has_value() ? 1 : 0);
  if (m.soa) {
    const auto wire = [](const core::Name& n) {
      return std::string_view(reinterpret_cast<const char*>(n.data()), n.size());
    };
    w.str(wire(m.soa->mname));
    w.str(wire(m.soa->rname));
    for (std::uint32_t v :
         {m.soa->ttl, m.soa->serial, m.soa->refresh, m.soa->retry, m.soa->expire, m.soa->minimum})
      w.u32(v);
  }
  w.u8(m.ns.has_value() ? 1 : 0);
  if (m.ns) {
    w.u32(m.ns->ttl);
    w.u32(static_cast<std::uint32_t>(m.ns->names.size()));
    for (const core::Name& n : m.ns->names)
      w.str(std::string_view(reinterpret_cast<const char*>(n.data()), n.size()));
  }
  for (std::size_t i = 0; i < 10; ++i) {
    w.u8(m.txt.defined[i] ? 1 : 0);
    w.str(m.txt.var[i]);
  }
  w.str(m.txt.base);
  w.u64(static_cast<std::uint64_t>(m.stamp));
  w.u64(static_cast<std::uint64_t>(m.expires));
}

bool read_meta(ByteReader& r, DatasetMeta* m) {
  const auto name = [&r](core::Name* out) {
    const std::string_view s = r.str();
    return core::Name::from_wire({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, out);
  };
  m->type = std::string(r.str());
  m->spec = std::string(r.str());
  m->ttl = r.u32();
  if (r.u8() != 0) {
    SoaData soa;
    if (!name(&soa.mname) || !name(&soa.rname)) return false;
    soa.ttl = r.u32();
    soa.serial = r.u32();
    soa.refresh = r.u32();
    soa.retry = r.u32();
    soa.expire = r.u32();
    soa.minimum = r.u32();
    m->soa = soa;
  }
  if (r.u8() != 0) {
    NsData ns;
    ns.ttl = r.u32();
    const std::uint32_t n = r.u32();
    if (n > 32) return false;
    for (std::uint32_t i = 0; i < n; ++i) {
      core::Name nm;
      if (!name(&nm)) return false;
      ns.names.push_back(nm);
    }
    m->ns = std::move(ns);
  }
  for (std::size_t i = 0; i < 10; ++i) {
    m->txt.defined[i] = r.u8() != 0;
    m->txt.var[i] = r.str();
  }
  m->txt.base = r.str();
  m->stamp = static_cast<std::time_t>(r.u64());
  m->expires = static_cast<std::time_t>(r.u64());
  return !r.failed();
}

// ---------------------------------------------------------------------------------------
// Writing and opening

void add_nested_image(ImageWriter& out, std::span<const std::uint8_t> image) {
  std::vector<std::uint8_t> s(kImageAlignOffset, 0);
  s.insert(s.end(), image.begin(), image.end());
  out.add(s);
}

core::Result<std::span<const std::uint8_t>> nested_image(const ImageView& image, std::size_t i) {
  if (i >= image.sections() || image.section(i).size() < kImageAlignOffset)
    return bad("nested image missing");
  return image.section(i).subspan(kImageAlignOffset);
}

core::Result<std::vector<std::uint8_t>> write_image(const Dataset& d) {
  ImageWriter w;
  ByteWriter meta;
  write_meta(meta, d.meta());
  w.add(meta.bytes());
  if (!d.write_image(w))
    return core::Status::error("dataset type " + d.meta().type + " has no image format yet");
  return w.finish();
}

core::Result<OpenedImage> open_image(std::span<const std::uint8_t> bytes, std::shared_ptr<const void> owner,
                                     bool release_scanned) {
  OpenedImage opened;
  opened.in_place = true;
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % kImageAlign != kImageAlignOffset) {
    auto copy = std::make_shared<AlignedCopy>(bytes);
    bytes = copy->data;
    owner = std::move(copy);
    opened.in_place = false;
    release_scanned = false;  // a heap copy: nothing to drop
  }
  // Whatever the checks read beyond scan() (headers, small sections): dropped at the end.
  struct ReleaseAtEnd {
    std::span<const std::uint8_t> bytes;
    bool on;
    ~ReleaseAtEnd() {
      if (on) release_pages(bytes);
    }
  } release_at_end{bytes, release_scanned};
  auto view = ImageView::open(bytes, release_scanned);
  if (!view.is_ok()) return view.status();
  const ImageView& v = view.value();
  if (v.sections() < 1) return bad("no meta section");
  DatasetMeta meta;
  ByteReader r(v.section(0));
  if (!read_meta(r, &meta) || !r.at_end()) return bad("bad meta section");
  core::Result<std::shared_ptr<const Dataset>> ds = core::Status::error("");
  switch (v.type()) {
    case ImageType::kIp4Set:
      ds = Ip4Set::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kDnSet:
      ds = DnSet::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kIp4TSet:
      ds = Ip4TSet::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kIp6TSet:
      ds = Ip6TSet::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kIp4Trie:
      ds = Ip4Trie::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kIp6Trie:
      ds = Ip6Trie::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kGeneric:
      ds = Generic::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kCombined:
      ds = Combined::from_image(std::move(meta), v, std::move(owner));
      break;
    case ImageType::kAcl:
      ds = Acl::from_image(std::move(meta), v, std::move(owner));
      break;
    default:
      return bad("unknown dataset type code " + std::to_string(static_cast<std::uint32_t>(v.type())));
  }
  if (!ds.is_ok()) return ds.status();
  opened.dataset = std::move(ds).value();
  return opened;
}

}  // namespace fastrbl::zones
