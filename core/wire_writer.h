#pragma once
// ResponseWriter: builds a DNS response in a caller-owned, fixed-capacity buffer.
//
// The writer never allocates and never writes past its limit: every add_* either writes
// the whole record and returns true, or writes nothing and returns false. Records are
// appended in section order (answer, authority, additional); counts are written into the
// header by finish(). Owner names are compression pointers into the question (offset 12
// is the query name in the query's own case, which is how the case gets echoed); names in
// RDATA are compressed against the question and earlier RDATA names.
//
// Ownership: the buffer belongs to the caller (a worker's fixed output slot) and must
// outlive the writer. Thread safety: one writer per thread.

#include "core/dname.h"
#include "core/dns.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace fastrbl::core {

enum class Section : std::uint8_t { kAnswer = 0, kAuthority = 1, kAdditional = 2 };

struct SoaFields {
  const std::uint8_t* mname = nullptr;  // uncompressed wire names
  const std::uint8_t* rname = nullptr;
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

class ResponseWriter;

/// Compression targets a ResponseWriter remembers (every question suffix, <= 127, and more).
inline constexpr std::size_t kComprTargets = 160;

/// A run of records whose names are fixed per zone (the SOA, the NS set and its glue),
/// written once by the generic writer for a question that is the zone apex itself and
/// kept as bytes. ResponseWriter::add_template() copies it and patches its compression
/// pointers for the real question, whose apex is at a known offset: a pointer into the
/// synthetic question moves with the apex, a pointer into the template's own records
/// moves with where they land. The bytes are the ones the generic writer would write,
/// as long as the template applies (see add_template()).
/// Built once per zone at snapshot build time (allocates); immutable afterwards, read by
/// any number of workers at once.
class RecordTemplate {
 public:
  /// Runs `write` on a writer whose question is `apex` (offset 12), starting in `section`,
  /// and keeps what it added. Returns nothing if `write` returns false (did not fit) or
  /// the result cannot be made a template.
  static std::optional<RecordTemplate> capture(const Name& apex, Section section,
                                               const std::function<bool(ResponseWriter&)>& write);

  std::size_t size() const noexcept { return bytes_.size(); }
  std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  /// Records per section (answer, authority, additional).
  const std::array<std::uint16_t, 3>& counts() const noexcept { return counts_; }

  /// What ResponseWriter::add_template() writes at `at` into a writer that registered no
  /// compression target since begin() (it holds a header, the question and up to `at` only
  /// records with a pointer owner and no name in RDATA, e.g. A and TXT answers) and is in
  /// the template's start section, without a writer: copies the records to out[at, ...) and
  /// patches their pointers. Returns the end of the records, or 0 when add_template() would
  /// not write them here (no room under `limit`, or not applicable); the caller then uses
  /// a writer. The section counts are the caller's (counts()). For the query path's fast
  /// answers, where nothing follows the template: the SOA of negative answers right after
  /// the question, the NS set after the answer records of positive ones.
  /// Always inlined: it writes the SOA of most answers (the query path calls it twice, and
  /// gcc then keeps one copy out of line, which costs more than the copy itself).
  [[gnu::always_inline]] std::size_t write_fresh(std::span<std::uint8_t> out, std::size_t at,
                                                 std::size_t limit, std::uint16_t apex,
                                                 const std::uint8_t* above_apex) const noexcept;

  /// Builds the table write_after_question() reads: one copy of the records for each
  /// offset the apex can have in a question (12 + s for s in [0, 256 - apex size)), its
  /// pointers moved by s, 16-byte padded (about 16 KB for a SOA). Allocates; for snapshot
  /// build time only. Builds nothing when write_fresh() never applies.
  void build_shift_table();

  /// write_fresh() at the end of the question (at = apex + the apex's length + 4), where a
  /// negative answer's SOA goes: every pointer then moves by the same amount, the apex's
  /// offset minus 12, so the records come ready from the table of build_shift_table() and
  /// are only copied. Returns what write_fresh() returns, or 0 without a table.
  [[gnu::always_inline]] std::size_t write_after_question(std::span<std::uint8_t> out, std::size_t limit,
                                                          std::uint16_t apex,
                                                          const std::uint8_t* above_apex) const noexcept;

  /// The table of build_shift_table() when write_after_question() is a plain copy of one
  /// 64-byte block: `table` + s * `stride` holds the records (`size` bytes, padded) for the
  /// apex at 12 + s, s < `shifts`, and 64 bytes can be read there (its stride is at most 64
  /// and it has no names below the apex). Else `table` is null.
  struct ShiftCopy {
    const std::uint8_t* table = nullptr;
    std::size_t stride = 0;
    std::size_t shifts = 0;
    std::size_t size = 0;
  };
  ShiftCopy shift_copy() const noexcept {
    if (shifts_ == 0 || stride_ > 64 || !below_apex_.empty()) return {};
    return {shifted_.data(), stride_, shifts_, bytes_.size()};
  }

 private:
  friend class ResponseWriter;
  RecordTemplate() = default;
  [[gnu::always_inline]] bool shares_below_apex(const std::uint8_t* above_apex) const noexcept {
    if (above_apex != nullptr && !below_apex_.empty()) {
      for (std::size_t i = 0; i < below_apex_.size(); i += below_apex_[i] + 1u)
        if (std::memcmp(&below_apex_[i], above_apex, below_apex_[i] + 1u) == 0) return true;
    }
    return false;
  }

  std::vector<std::uint8_t> bytes_;           // the records, pointers as in the capture
  std::vector<std::uint8_t> padded_;          // bytes_ and zeros up to a multiple of 16
  std::vector<std::uint16_t> apex_ptrs_;      // offsets in bytes_ of pointers into the question
  std::vector<std::uint16_t> self_ptrs_;      // offsets in bytes_ of pointers into bytes_
  std::vector<std::uint16_t> remembered_;     // compression targets added, relative to bytes_
  std::vector<std::uint8_t> below_apex_;      // labels just above the apex of names below it
  std::array<std::uint16_t, 3> counts_{};     // records added per section
  Section start_section_ = Section::kAnswer;  // the section it must start in
  Section end_section_ = Section::kAnswer;    // the section the writer is left in
  std::size_t last_ttl_ = 0;                  // relative to bytes_
  std::uint16_t question_end_ = 0;            // of the synthetic question
  // add_template() on a fresh writer never registers the question first (its names fit
  // among the targets whatever the question) and its pointers stay below 0x4000.
  bool fresh_ok_ = false;
  // build_shift_table(): shifts_ copies of stride_ bytes each, then 64 bytes of zeros (so
  // that one 64-byte read from any copy stays inside).
  std::vector<std::uint8_t> shifted_;
  std::size_t stride_ = 0;
  std::size_t shifts_ = 0;
};

class ResponseWriter {
 public:
  /// A checkpoint to roll back to (all-or-nothing groups such as NS + glue).
  struct Mark {
    std::size_t size;
    std::array<std::uint16_t, 3> counts;
    std::size_t ncompr;
    bool compr_ready;
    const RecordTemplate* pending;
    std::size_t pending_at;
  };

  explicit ResponseWriter(std::span<std::uint8_t> buf) noexcept : buf_(buf) {}

  /// Starts a response: copies the header and question, bytes [0, question_end), of
  /// `query`, zeroes the section counts and registers the question name for compression.
  /// `limit` is the largest response allowed (clamped to the buffer size).
  /// Requires: the question was validated by parse_query(); question_end <= buffer size.
  void begin(std::span<const std::uint8_t> query, std::size_t question_end, std::size_t limit) noexcept {
    std::memcpy(buf_.data(), query.data(), question_end);
    begin_copied(question_end, limit);
  }
  /// begin() for a buffer that already holds the header and question in [0, question_end)
  /// (the query path's fast path copies them while it lowercases the name).
  void begin_copied(std::size_t question_end, std::size_t limit) noexcept {
    size_ = question_end;
    set_limit(limit);
    answer_start_ = question_end;
    last_ttl_ = 0;
    counts_ = {};
    section_ = Section::kAnswer;
    std::memset(&buf_[6], 0, kHeaderSize - 6);
    ncompr_ = 0;
    qlabels_ = 0;
    compr_ready_ = false;
    pending_ = nullptr;
  }

  std::uint8_t* header() noexcept { return buf_.data(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t limit() const noexcept { return limit_; }
  /// Lowers or raises the limit (never beyond the buffer). Used to keep room for OPT.
  void set_limit(std::size_t limit) noexcept { limit_ = limit < buf_.size() ? limit : buf_.size(); }
  std::uint16_t count(Section s) const noexcept { return counts_[static_cast<std::size_t>(s)]; }

  /// Moves to a later section. Requires: s is not before the current section.
  void set_section(Section s) noexcept { section_ = s; }
  Section section() const noexcept { return section_; }

  /// Inline: the record of most positive answers (16 bytes, written directly).
  bool add_a(std::uint16_t owner, std::uint32_t ttl, const std::uint8_t addr[4]) noexcept {
    std::uint16_t& count = counts_[static_cast<std::size_t>(section_)];
    if (!room(16) || count >= 255) return false;
    std::uint8_t* p = &buf_[size_];
    store_u16(p, static_cast<std::uint16_t>(0xc000u | owner));
    put_a_fields(p + 2, ttl, addr);
    last_ttl_ = size_ + 6;
    size_ += 16;
    ++count;
    return true;
  }
  /// One TXT character-string of at most 255 bytes.
  bool add_txt(std::uint16_t owner, std::uint16_t rrclass, std::uint32_t ttl,
               std::span<const std::uint8_t> text) noexcept;
  bool add_ns(std::uint16_t owner, std::uint32_t ttl, const std::uint8_t* target) noexcept;
  /// The exchange is written uncompressed and is not used to compress later names (as
  /// rbldnsd writes generic MX records).
  bool add_mx(std::uint16_t owner, std::uint32_t ttl, std::uint16_t pref,
              const std::uint8_t* exchange) noexcept;
  bool add_soa(std::uint16_t owner, std::uint32_t ttl, const SoaFields& soa) noexcept;
  /// A record whose owner is an uncompressed wire name (glue). Class IN.
  bool add_a_named(const std::uint8_t* owner, std::uint32_t ttl, const std::uint8_t addr[4]) noexcept;
  /// The OPT pseudo-record. Not limited by limit(): callers keep kOptRecordSize spare.
  bool add_opt(std::uint16_t udp_size, std::uint8_t ext_rcode, std::uint8_t version, bool do_bit) noexcept;

  /// Offset of the TTL field of the record added last.
  std::size_t last_ttl_offset() const noexcept { return last_ttl_; }
  std::uint32_t ttl_at(std::size_t off) const noexcept { return load_u32(&buf_[off]); }
  void patch_ttl(std::size_t off, std::uint32_t ttl) noexcept { store_u32(&buf_[off], ttl); }

  /// rbldnsd's rule for a new answer record of `type` with `rdata` and `ttl`: all
  /// records of one type share the lowest TTL, and identical records are not repeated.
  /// Lowers the TTL of existing records of `type` when `ttl` is smaller. Returns the TTL
  /// the new record must carry, or nothing if an identical record is already there.
  /// Requires: the answer section holds only records written with a pointer owner.
  /// Inline for the first answer record (nothing to merge with); the rest out of line.
  std::optional<std::uint32_t> merge_answer_ttl(std::uint16_t type, std::span<const std::uint8_t> rdata,
                                                std::uint32_t ttl) noexcept {
    if (counts_[0] == 0) return ttl;
    return merge_answer_ttl_slow(type, rdata, ttl);
  }

  Mark mark() const noexcept { return {size_, counts_, ncompr_, compr_ready_, pending_, pending_at_}; }
  void rollback(const Mark& m) noexcept {
    size_ = m.size;
    counts_ = m.counts;
    ncompr_ = m.ncompr;
    compr_ready_ = m.compr_ready;
    pending_ = m.pending;
    pending_at_ = m.pending_at;
  }

  enum class TemplateResult : std::uint8_t {
    kWritten,        // the template's records were added
    kNoRoom,         // nothing added: the generic path would not fit either
    kNotApplicable,  // nothing added: use the generic path (it may compress differently)
  };
  /// Adds the records of `t` as the generic writer would have written them, for a question
  /// whose zone apex is at offset `apex` and whose label just above the apex (lowercase
  /// wire label, length byte first) is `above_apex`, or null when the question is the
  /// apex. Applies only when nothing since the question was registered for compression
  /// (the template was captured in that state), the writer is in the template's start
  /// section and the question does not share a name below the apex with the template.
  TemplateResult add_template(const RecordTemplate& t, std::uint16_t apex,
                              const std::uint8_t* above_apex) noexcept;

  /// Writes the section counts into the header. Returns the response length.
  std::size_t finish() noexcept;

  /// An A record after its owner name: TYPE, CLASS IN, TTL, RDLENGTH 4 and the address, 14
  /// bytes at p (add_a(), add_a_named(), and the query path's one-record answers).
  static void put_a_fields(std::uint8_t* p, std::uint32_t ttl, const std::uint8_t addr[4]) noexcept {
    store_u16(p, rrtype::kA);
    store_u16(p + 2, rrclass::kIN);
    store_u32(p + 4, ttl);
    store_u16(p + 8, 4);
    std::memcpy(p + 10, addr, 4);
  }

 private:
  bool room(std::size_t n) const noexcept { return n <= limit_ && limit_ - n >= size_; }
  std::optional<std::uint32_t> merge_answer_ttl_slow(std::uint16_t type, std::span<const std::uint8_t> rdata,
                                                     std::uint32_t ttl) noexcept;
  // Writes owner pointer + type/class/ttl + rdlength placeholder. Returns rdata offset or 0.
  std::size_t rr_start(std::uint16_t owner, std::uint16_t type, std::uint16_t rrclass, std::uint32_t ttl,
                       std::size_t rdata_min) noexcept;
  // Writes a name with compression; registers new suffixes. False if it does not fit.
  bool put_name(const std::uint8_t* name) noexcept;
  // Compression targets are registered lazily: the question's suffixes and a template's
  // names only when a name is compressed by suffix search (most responses never do).
  void ensure_compr() noexcept {
    if (!compr_ready_) register_question();
    if (pending_ != nullptr) register_pending();
  }
  void register_question() noexcept;
  void register_pending() noexcept;
  bool name_at_equals(std::size_t off, const std::uint8_t* name) const noexcept;
  void remember(std::size_t off) noexcept {
    if (ncompr_ < compr_.size() && off < 0x4000) compr_[ncompr_++] = static_cast<std::uint16_t>(off);
  }

  std::span<std::uint8_t> buf_;
  std::size_t size_ = 0;
  std::size_t limit_ = 0;
  std::size_t answer_start_ = 0;
  std::size_t last_ttl_ = 0;
  std::array<std::uint16_t, 3> counts_{};
  Section section_ = Section::kAnswer;
  // Offsets usable as pointer targets: every question suffix (<= 127) and more. Entries
  // from ncompr_ on are unset (not zeroed: a writer is made per query).
  std::array<std::uint16_t, kComprTargets> compr_;
  std::size_t ncompr_ = 0;
  std::size_t qlabels_ = 0;   // compr_[0, qlabels_): the question's suffixes, once compr_ready_
  bool compr_ready_ = false;  // the question's suffixes are in compr_
  const RecordTemplate* pending_ = nullptr;  // a template whose names are not in compr_ yet
  std::size_t pending_at_ = 0;               // where that template was written
  friend class RecordTemplate;
};

[[gnu::always_inline]] inline std::size_t RecordTemplate::write_fresh(
    std::span<std::uint8_t> out, std::size_t at, std::size_t limit, std::uint16_t apex,
    const std::uint8_t* above_apex) const noexcept {
  const std::size_t n = bytes_.size();
  if (limit > out.size()) limit = out.size();
  if (!fresh_ok_ || at + n >= 0x4000 || n > limit || limit - n < at) return 0;
  if (shares_below_apex(above_apex)) return 0;
  // Locals throughout: the byte stores below could alias the vectors' own members.
  std::uint8_t* p = out.data() + at;
  const std::uint8_t* src = padded_.data();
  const std::size_t padded = padded_.size();
  if (out.size() - at >= padded) {  // 16 bytes at a time (the padding lands past the end)
    for (std::size_t i = 0; i < padded; i += 16) std::memcpy(p + i, src + i, 16);
  } else {
    std::memcpy(p, src, n);
  }
  const auto apex_shift = static_cast<std::uint16_t>(apex - kHeaderSize);
  for (const std::uint16_t *f = apex_ptrs_.data(), *e = f + apex_ptrs_.size(); f != e; ++f)
    store_u16(p + *f, static_cast<std::uint16_t>(load_u16(p + *f) + apex_shift));
  const auto self_shift = static_cast<std::uint16_t>(at - question_end_);
  for (const std::uint16_t *f = self_ptrs_.data(), *e = f + self_ptrs_.size(); f != e; ++f)
    store_u16(p + *f, static_cast<std::uint16_t>(load_u16(p + *f) + self_shift));
  return at + n;
}

[[gnu::always_inline]] inline std::size_t RecordTemplate::write_after_question(
    std::span<std::uint8_t> out, std::size_t limit, std::uint16_t apex,
    const std::uint8_t* above_apex) const noexcept {
  const std::size_t shift = apex - kHeaderSize;
  const std::size_t n = bytes_.size();
  const std::size_t at = question_end_ + shift;
  if (limit > out.size()) limit = out.size();
  // A table means fresh_ok_ and at + n < 0x4000 for every shift in it.
  if (shift >= shifts_ || n > limit || limit - n < at) return 0;
  if (shares_below_apex(above_apex)) return 0;
  std::uint8_t* p = out.data() + at;
  const std::uint8_t* src = shifted_.data() + shift * stride_;
  if (stride_ <= 64 && out.size() - at >= 64) {  // most SOAs: 64 bytes, no loop
    std::memcpy(p, src, 16);
    std::memcpy(p + 16, src + 16, 16);
    std::memcpy(p + 32, src + 32, 16);
    std::memcpy(p + 48, src + 48, 16);
  } else if (out.size() - at >= stride_) {
    for (std::size_t i = 0; i < stride_; i += 16) std::memcpy(p + i, src + i, 16);
  } else {
    std::memcpy(p, src, n);
  }
  return at + n;
}

}  // namespace fastrbl::core
