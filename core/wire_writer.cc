#include "core/wire_writer.h"

#include <cstring>

namespace fastrbl::core {

void ResponseWriter::register_question() noexcept {
  // Every suffix of the question name is a compression target. A valid question has at
  // most 127 labels, all below offset 0x4000: no capacity or range check is needed.
  static_assert(kMaxLabels <= std::tuple_size_v<decltype(compr_)>);
  std::size_t pos = kHeaderSize;
  std::size_t n = 0;
  for (std::uint8_t len = buf_[pos]; len != 0; len = buf_[pos]) {
    compr_[n++] = static_cast<std::uint16_t>(pos);
    pos += len + 1u;
  }
  ncompr_ = n;
  qlabels_ = n;
  compr_ready_ = true;
}

void ResponseWriter::register_pending() noexcept {
  // add_template() checked that these fit and lie below 0x4000.
  std::size_t k = ncompr_;
  for (const std::uint16_t off : pending_->remembered_)
    compr_[k++] = static_cast<std::uint16_t>(pending_at_ + off);
  ncompr_ = k;
  pending_ = nullptr;
}

bool ResponseWriter::name_at_equals(std::size_t off, const std::uint8_t* name) const noexcept {
  int hops = 0;
  while (true) {
    std::uint8_t len = buf_[off];
    if ((len & 0xc0) == 0xc0) {
      std::size_t target = (std::size_t{len & 0x3fu} << 8) | buf_[off + 1];
      if (target >= off || ++hops > 64) return false;
      off = target;
      continue;
    }
    if (len != *name) return false;
    if (len == 0) return true;
    for (std::size_t k = 1; k <= len; ++k)
      if (lower(buf_[off + k]) != lower(name[k])) return false;
    off += len + 1u;
    name += len + 1u;
  }
}

bool ResponseWriter::put_name(const std::uint8_t* name) noexcept {
  ensure_compr();
  const std::size_t start_size = size_;
  const std::size_t start_ncompr = ncompr_;
  while (*name != 0) {
    for (std::size_t i = 0; i < ncompr_; ++i) {
      if (name_at_equals(compr_[i], name)) {
        if (!room(2)) {
          size_ = start_size;
          ncompr_ = start_ncompr;
          return false;
        }
        store_u16(&buf_[size_], static_cast<std::uint16_t>(0xc000u | compr_[i]));
        size_ += 2;
        return true;
      }
    }
    std::size_t n = *name + 1u;
    if (!room(n)) {
      size_ = start_size;
      ncompr_ = start_ncompr;
      return false;
    }
    remember(size_);
    std::memcpy(&buf_[size_], name, n);
    size_ += n;
    name += n;
  }
  if (!room(1)) {
    size_ = start_size;
    ncompr_ = start_ncompr;
    return false;
  }
  buf_[size_++] = 0;
  return true;
}

std::size_t ResponseWriter::rr_start(std::uint16_t owner, std::uint16_t type, std::uint16_t rrclass,
                                     std::uint32_t ttl, std::size_t rdata_min) noexcept {
  if (!room(12 + rdata_min) || counts_[static_cast<std::size_t>(section_)] >= 255) return 0;
  std::uint8_t* p = &buf_[size_];
  store_u16(p, static_cast<std::uint16_t>(0xc000u | owner));
  store_u16(p + 2, type);
  store_u16(p + 4, rrclass);
  store_u32(p + 6, ttl);
  store_u16(p + 10, 0);
  last_ttl_ = size_ + 6;
  size_ += 12;
  return size_;
}

namespace {
void bump(std::array<std::uint16_t, 3>& counts, Section s) { ++counts[static_cast<std::size_t>(s)]; }
}  // namespace

bool ResponseWriter::add_txt(std::uint16_t owner, std::uint16_t rrclass, std::uint32_t ttl,
                             std::span<const std::uint8_t> text) noexcept {
  if (text.size() > 255) text = text.first(255);
  std::size_t rd = rr_start(owner, rrtype::kTXT, rrclass, ttl, 1 + text.size());
  if (rd == 0) return false;
  store_u16(&buf_[rd - 2], static_cast<std::uint16_t>(1 + text.size()));
  buf_[rd] = static_cast<std::uint8_t>(text.size());
  if (!text.empty()) std::memcpy(&buf_[rd + 1], text.data(), text.size());
  size_ += 1 + text.size();
  bump(counts_, section_);
  return true;
}

bool ResponseWriter::add_ns(std::uint16_t owner, std::uint32_t ttl, const std::uint8_t* target) noexcept {
  const Mark m = mark();
  std::size_t rd = rr_start(owner, rrtype::kNS, rrclass::kIN, ttl, 1);
  if (rd == 0) return false;
  if (!put_name(target)) {
    rollback(m);
    return false;
  }
  store_u16(&buf_[rd - 2], static_cast<std::uint16_t>(size_ - rd));
  bump(counts_, section_);
  return true;
}

bool ResponseWriter::add_mx(std::uint16_t owner, std::uint32_t ttl, std::uint16_t pref,
                            const std::uint8_t* exchange) noexcept {
  const Mark m = mark();
  std::size_t rd = rr_start(owner, rrtype::kMX, rrclass::kIN, ttl, 3);
  if (rd == 0) return false;
  store_u16(&buf_[rd], pref);
  size_ += 2;
  // Uncompressed, and not a compression target, as rbldnsd writes generic MX targets.
  std::size_t n = 1;
  while (exchange[n - 1] != 0) n += exchange[n - 1] + 1u;
  if (!room(n)) {
    rollback(m);
    return false;
  }
  std::memcpy(&buf_[size_], exchange, n);
  size_ += n;
  store_u16(&buf_[rd - 2], static_cast<std::uint16_t>(size_ - rd));
  bump(counts_, section_);
  return true;
}

bool ResponseWriter::add_soa(std::uint16_t owner, std::uint32_t ttl, const SoaFields& soa) noexcept {
  const Mark m = mark();
  std::size_t rd = rr_start(owner, rrtype::kSOA, rrclass::kIN, ttl, 22);
  if (rd == 0) return false;
  if (!put_name(soa.mname) || !put_name(soa.rname) || !room(20)) {
    rollback(m);
    return false;
  }
  std::uint8_t* p = &buf_[size_];
  store_u32(p, soa.serial);
  store_u32(p + 4, soa.refresh);
  store_u32(p + 8, soa.retry);
  store_u32(p + 12, soa.expire);
  store_u32(p + 16, soa.minimum);
  size_ += 20;
  store_u16(&buf_[rd - 2], static_cast<std::uint16_t>(size_ - rd));
  bump(counts_, section_);
  return true;
}

bool ResponseWriter::add_a_named(const std::uint8_t* owner, std::uint32_t ttl,
                                 const std::uint8_t addr[4]) noexcept {
  const Mark m = mark();
  if (counts_[static_cast<std::size_t>(section_)] >= 255 || !put_name(owner) || !room(14)) {
    rollback(m);
    return false;
  }
  put_a_fields(&buf_[size_], ttl, addr);
  last_ttl_ = size_ + 4;
  size_ += 14;
  bump(counts_, section_);
  return true;
}

bool ResponseWriter::add_opt(std::uint16_t udp_size, std::uint8_t ext_rcode, std::uint8_t version,
                             bool do_bit) noexcept {
  if (buf_.size() - size_ < kOptRecordSize) return false;
  std::uint8_t* p = &buf_[size_];
  p[0] = 0;  // root owner
  store_u16(p + 1, rrtype::kOPT);
  store_u16(p + 3, udp_size);
  p[5] = ext_rcode;
  p[6] = version;
  p[7] = do_bit ? 0x80 : 0;
  p[8] = 0;
  store_u16(p + 9, 0);
  size_ += kOptRecordSize;
  ++counts_[static_cast<std::size_t>(Section::kAdditional)];
  return true;
}

std::optional<std::uint32_t> ResponseWriter::merge_answer_ttl_slow(std::uint16_t type,
                                                                   std::span<const std::uint8_t> rdata,
                                                                   std::uint32_t ttl) noexcept {
  auto same_data = [&](std::size_t pos) {
    std::uint16_t rdlen = load_u16(&buf_[pos + 10]);
    return rdlen == rdata.size() && (rdata.empty() || std::memcmp(&buf_[pos + 12], rdata.data(), rdlen) == 0);
  };
  // Answer owners are always 2-byte pointers here, so each record is 12 + rdlen bytes.
  std::size_t pos = answer_start_;
  std::uint16_t i = 0;
  for (; i < counts_[0]; ++i) {
    if (load_u16(&buf_[pos + 2]) == type) break;
    pos += 12u + load_u16(&buf_[pos + 10]);
  }
  if (i == counts_[0]) return ttl;  // first record of this type
  const std::uint32_t existing = load_u32(&buf_[pos + 6]);
  bool same = same_data(pos);
  if (ttl >= existing) {
    for (; !same && i < counts_[0]; ++i) {
      if (load_u16(&buf_[pos + 2]) == type && same_data(pos)) same = true;
      pos += 12u + load_u16(&buf_[pos + 10]);
    }
    if (same) return std::nullopt;
    return existing;
  }
  for (; i < counts_[0]; ++i) {  // lower every record of this type to the new TTL
    if (load_u16(&buf_[pos + 2]) == type) {
      store_u32(&buf_[pos + 6], ttl);
      if (same_data(pos)) same = true;
    }
    pos += 12u + load_u16(&buf_[pos + 10]);
  }
  if (same) return std::nullopt;
  return ttl;
}

namespace {

// The end of the (possibly compressed) name at `pos` in `msg`; calls on_ptr(offset) for
// its pointer, if any. Requires: a name the writer wrote.
template <class F>
std::size_t walk_name(std::span<const std::uint8_t> msg, std::size_t pos, F&& on_ptr) {
  while (true) {
    const std::uint8_t len = msg[pos];
    if (len == 0) return pos + 1;
    if ((len & 0xc0) == 0xc0) {
      on_ptr(pos);
      return pos + 2;
    }
    pos += len + 1u;
  }
}

// Decompresses the name at `pos` of `msg` into *out. False if it is not well formed.
bool expand_name(std::span<const std::uint8_t> msg, std::size_t pos, Name* out) {
  std::array<std::uint8_t, kMaxNameLen> buf{};
  std::size_t n = 0;
  for (int hops = 0; hops < 64;) {
    const std::uint8_t len = msg[pos];
    if ((len & 0xc0) == 0xc0) {
      pos = (std::size_t{len & 0x3fu} << 8) | msg[pos + 1];
      ++hops;
      continue;
    }
    if (n + len + 1u > buf.size()) return false;
    std::memcpy(&buf[n], &msg[pos], len + 1u);
    n += len + 1u;
    if (len == 0) return Name::from_wire(std::span(buf.data(), n), out);
    pos += len + 1u;
  }
  return false;
}

}  // namespace

std::optional<RecordTemplate> RecordTemplate::capture(const Name& apex, Section section,
                                                      const std::function<bool(ResponseWriter&)>& write) {
  // The synthetic query: a header and the question "apex IN A".
  std::vector<std::uint8_t> query(kHeaderSize + apex.size() + 4, 0);
  query[5] = 1;  // QDCOUNT
  std::memcpy(&query[kHeaderSize], apex.data(), apex.size());
  store_u16(&query[kHeaderSize + apex.size()], rrtype::kA);
  store_u16(&query[kHeaderSize + apex.size() + 2], rrclass::kIN);
  std::vector<std::uint8_t> out(kMaxTcpMessage, 0);
  ResponseWriter w(out);
  w.begin(query, query.size(), out.size());
  w.set_section(section);
  if (!write(w)) return std::nullopt;
  w.ensure_compr();
  if (w.ncompr_ >= w.compr_.size()) return std::nullopt;  // targets were dropped: not exact

  RecordTemplate t;
  const std::size_t qend = query.size();
  if (w.size_ - qend >= 0x4000) return std::nullopt;  // could never be used (pointer range)
  t.question_end_ = static_cast<std::uint16_t>(qend);
  t.bytes_.assign(out.begin() + static_cast<std::ptrdiff_t>(qend),
                  out.begin() + static_cast<std::ptrdiff_t>(w.size_));
  t.counts_ = w.counts_;
  t.start_section_ = section;
  t.end_section_ = w.section_;
  t.last_ttl_ = w.last_ttl_ >= qend ? w.last_ttl_ - qend : 0;
  for (std::size_t i = w.qlabels_; i < w.ncompr_; ++i)
    t.remembered_.push_back(static_cast<std::uint16_t>(w.compr_[i] - qend));

  const std::span<const std::uint8_t> msg(out.data(), w.size_);
  auto on_ptr = [&](std::size_t at) {
    const std::size_t target = load_u16(&msg[at]) & 0x3fffu;
    (target < qend ? t.apex_ptrs_ : t.self_ptrs_).push_back(static_cast<std::uint16_t>(at - qend));
  };
  // Names below the apex: a question that shares such a name would compress differently.
  auto note_name = [&](std::size_t at) {
    Name n;
    if (!expand_name(msg, at, &n)) return false;
    if (n.label_count() <= apex.label_count() || !n.is_subdomain_of(apex)) return true;
    const Name low = n.lowered();
    std::size_t pos = 0;
    for (std::size_t skip = n.label_count() - apex.label_count() - 1; skip > 0; --skip)
      pos += low.data()[pos] + 1u;
    t.below_apex_.insert(t.below_apex_.end(), low.data() + pos, low.data() + pos + low.data()[pos] + 1);
    return true;
  };
  std::size_t pos = qend;
  const std::size_t records = std::size_t{w.counts_[0]} + w.counts_[1] + w.counts_[2];
  for (std::size_t r = 0; r < records; ++r) {
    if (!note_name(pos)) return std::nullopt;
    pos = walk_name(msg, pos, on_ptr);
    const std::uint16_t type = load_u16(&msg[pos]);
    const std::size_t rdata = pos + 10;
    const std::size_t rdlen = load_u16(&msg[pos + 8]);
    if (type == rrtype::kNS || type == rrtype::kSOA) {
      if (!note_name(rdata)) return std::nullopt;
      std::size_t p = walk_name(msg, rdata, on_ptr);
      if (type == rrtype::kSOA) {
        if (!note_name(p)) return std::nullopt;
        walk_name(msg, p, on_ptr);
      }
    } else if (type == rrtype::kOPT || type == rrtype::kCNAME || type == rrtype::kPTR) {
      return std::nullopt;  // not written by templates
    }
    pos = rdata + rdlen;
  }
  if (pos != w.size_) return std::nullopt;
  t.fresh_ok_ = kMaxLabels + t.remembered_.size() <= kComprTargets && t.bytes_.size() < 0x4000;
  t.padded_ = t.bytes_;
  t.padded_.resize((t.bytes_.size() + 15) / 16 * 16, 0);
  return t;
}

void RecordTemplate::build_shift_table() {
  shifted_.clear();
  stride_ = shifts_ = 0;
  const std::size_t apex_size = question_end_ - kHeaderSize - 4;
  // The question ends at 12 + 255 + 4 at most: every shift keeps the pointers below 0x4000.
  if (!fresh_ok_ || apex_size == 0 || apex_size > kMaxNameLen ||
      kHeaderSize + kMaxNameLen + 4 + bytes_.size() >= 0x4000)
    return;
  const std::size_t count = kMaxNameLen + 1 - apex_size;
  const std::size_t stride = padded_.size();
  shifted_.assign(count * stride + 64, 0);
  for (std::size_t shift = 0; shift < count; ++shift) {
    std::uint8_t* p = shifted_.data() + shift * stride;
    std::memcpy(p, padded_.data(), stride);
    for (const std::uint16_t off : apex_ptrs_)
      store_u16(p + off, static_cast<std::uint16_t>(load_u16(p + off) + shift));
    for (const std::uint16_t off : self_ptrs_)
      store_u16(p + off, static_cast<std::uint16_t>(load_u16(p + off) + shift));
  }
  stride_ = stride;
  shifts_ = count;
}

ResponseWriter::TemplateResult ResponseWriter::add_template(const RecordTemplate& t, std::uint16_t apex,
                                                            const std::uint8_t* above_apex) noexcept {
  // The compression targets must be the question's alone, as in the capture.
  if (pending_ != nullptr || (compr_ready_ && ncompr_ != qlabels_) || section_ != t.start_section_)
    return TemplateResult::kNotApplicable;
  // The template's names must all find room among the targets (as they did in the
  // capture); a question has at most kMaxLabels suffixes.
  if (!compr_ready_ && kMaxLabels + t.remembered_.size() > compr_.size()) register_question();
  if (compr_ready_ && ncompr_ + t.remembered_.size() > compr_.size()) return TemplateResult::kNotApplicable;
  if (size_ + t.bytes_.size() >= 0x4000) return TemplateResult::kNotApplicable;  // (pointer range)
  if (above_apex != nullptr && !t.below_apex_.empty()) {
    for (std::size_t i = 0; i < t.below_apex_.size(); i += t.below_apex_[i] + 1u)
      if (std::memcmp(&t.below_apex_[i], above_apex, t.below_apex_[i] + 1u) == 0)
        return TemplateResult::kNotApplicable;
  }
  const std::size_t n = t.bytes_.size();
  if (!room(n)) return TemplateResult::kNoRoom;
  const unsigned c0 = counts_[0] + t.counts_[0u], c1 = counts_[1] + t.counts_[1u],
                 c2 = counts_[2] + t.counts_[2u];
  if ((c0 | c1 | c2) > 255) return TemplateResult::kNoRoom;
  const std::size_t at = size_;
  std::uint8_t* p = &buf_[at];
  std::memcpy(p, t.bytes_.data(), n);
  // Pointers in the template are 0xc000 | offset in the capture; move them.
  const auto apex_shift = static_cast<std::uint16_t>(apex - kHeaderSize);
  for (const std::uint16_t off : t.apex_ptrs_)
    store_u16(p + off, static_cast<std::uint16_t>(load_u16(p + off) + apex_shift));
  const auto self_shift = static_cast<std::uint16_t>(at - t.question_end_);
  for (const std::uint16_t off : t.self_ptrs_)
    store_u16(p + off, static_cast<std::uint16_t>(load_u16(p + off) + self_shift));
  if (!t.remembered_.empty()) {
    pending_ = &t;
    pending_at_ = at;
  }
  size_ = at + n;
  counts_ = {static_cast<std::uint16_t>(c0), static_cast<std::uint16_t>(c1), static_cast<std::uint16_t>(c2)};
  section_ = t.end_section_;
  if (t.last_ttl_ != 0) last_ttl_ = at + t.last_ttl_;
  return TemplateResult::kWritten;
}

std::size_t ResponseWriter::finish() noexcept {
  store_u16(&buf_[6], counts_[0]);
  store_u16(&buf_[8], counts_[1]);
  store_u16(&buf_[10], counts_[2]);
  return size_;
}

}  // namespace fastrbl::core
