#include "core/wire_reader.h"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fastrbl::core {

std::size_t skip_name(std::span<const std::uint8_t> packet, std::size_t pos) noexcept {
  while (true) {
    if (pos >= packet.size()) return 0;
    std::uint8_t len = packet[pos];
    if (len == 0) return pos + 1;
    if ((len & 0xc0) == 0xc0) return (packet.size() - pos >= 2) ? pos + 2 : 0;
    if ((len & 0xc0) != 0) return 0;  // 0x40/0x80: obsolete label types
    if (packet.size() - pos - 1 < len) return 0;
    pos += 1u + len;
  }
}

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;

// ASCII lowercase of 8 bytes at once (SWAR): a byte gets 0x20 added where it is 'A'..'Z';
// every other byte, length bytes (<= 63) and bytes >= 0x80 included, stays as it is.
std::uint64_t lower8(std::uint64_t x) noexcept {
  const std::uint64_t low7 = x & (0x7f * kOnes);
  const std::uint64_t ge_a = low7 + (0x80 - 'A') * kOnes;  // bit 7 set where low7 >= 'A'
  const std::uint64_t gt_z = low7 + (0x7f - 'Z') * kOnes;  // bit 7 set where low7 > 'Z'
  const std::uint64_t upper = (ge_a ^ gt_z) & ~x & (0x80 * kOnes);
  return x | (upper >> 2);
}

// Copies the n bytes of a wire name at `src` to `dst`, lowercased. Length bytes are below
// 'A', so the whole name is lowercased without walking its labels.
void lower_name(const std::uint8_t* src, std::size_t n, std::uint8_t* dst) noexcept {
#if defined(__SSE2__)
  if (n >= 16) {  // 16 bytes at a time: 'A'..'Z' are the bytes > 64 and < 91 (signed)
    const __m128i below_a = _mm_set1_epi8('A' - 1), above_z = _mm_set1_epi8('Z' + 1),
                  bit = _mm_set1_epi8(0x20);
    auto lower16 = [&](std::size_t i) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));  // NOLINT: SSE load
      const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, below_a), _mm_cmplt_epi8(x, above_z));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                       _mm_or_si128(x, _mm_and_si128(upper, bit)));  // NOLINT
    };
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) lower16(i);
    if (i < n) lower16(n - 16);  // the last 16 bytes again (lowercasing twice changes nothing)
    return;
  }
#endif
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = lower(src[i]);
    return;
  }
  std::uint64_t w = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::memcpy(&w, src + i, 8);
    w = lower8(w);
    std::memcpy(dst + i, &w, 8);
  }
  if (i < n) {  // the last 8 bytes again (lowercasing twice changes nothing)
    std::memcpy(&w, src + n - 8, 8);
    w = lower8(w);
    std::memcpy(dst + n - 8, &w, 8);
  }
}

// Walks the records after the question looking for OPT in the additional section.
void parse_edns(std::span<const std::uint8_t> p, ParsedQuery* q) noexcept {
  std::size_t pos = q->question_end;
  const std::size_t records = std::size_t{q->ancount} + q->nscount + q->arcount;
  const std::size_t first_additional = std::size_t{q->ancount} + q->nscount;
  for (std::size_t i = 0; i < records; ++i) {
    std::size_t owner = pos;
    std::size_t after = skip_name(p, pos);
    if (after == 0 || p.size() - after < 10) return;  // unwalkable: ignore the rest
    std::uint16_t type = load_u16(&p[after]);
    std::uint16_t rdlen = load_u16(&p[after + 8]);
    if (p.size() - after - 10 < rdlen) return;
    if (i >= first_additional && type == rrtype::kOPT) {
      if (q->edns != EdnsState::kNone || p[owner] != 0) {
        q->edns = EdnsState::kFormErr;
        return;
      }
      q->edns = EdnsState::kPresent;
      q->edns_udp_size = load_u16(&p[after + 2]);
      q->edns_version = p[after + 5];
      q->edns_do = (p[after + 6] & 0x80) != 0;
    }
    pos = after + 10 + rdlen;
  }
}

}  // namespace

ParseResult parse_query(std::span<const std::uint8_t> p, ParsedQuery* q) noexcept {
  // A header, at least the root label, and QTYPE/QCLASS.
  if (p.size() < kHeaderSize + 5) return ParseResult::kDrop;
  q->id = load_u16(&p[0]);
  q->flags1 = p[2];
  q->flags2 = p[3];
  q->qdcount = load_u16(&p[4]);
  q->ancount = load_u16(&p[6]);
  q->nscount = load_u16(&p[8]);
  q->arcount = load_u16(&p[10]);
  if (q->flags1 & kFlagQR) return ParseResult::kDrop;
  if (q->qdcount != 1) return ParseResult::kDrop;

  // The name must end (root byte) no later than 4 bytes before the end of the packet.
  // First the label walk (one step per label), then the lowercase copy in one pass.
  const std::uint8_t* name = p.data() + kHeaderSize;
  const std::size_t room = p.size() - kHeaderSize - 4;  // bytes available for the name
  // A length byte must sit before `room` (else the name runs into QTYPE/QCLASS or past
  // the packet) and leave room for the root byte within 255 bytes: every length byte,
  // the root's included, is at an offset <= last. room >= 1 (the size check above).
  const std::size_t last = room - 1 < kMaxNameLen - 1 ? room - 1 : kMaxNameLen - 1;
  std::size_t pos = 0;
  std::size_t labels = 0;
  while (true) {
    const std::uint8_t len = name[pos];
    if (len == 0) break;
    if (len > kMaxLabelLen) return ParseResult::kDrop;  // also catches compression pointers
    const std::size_t next = pos + 1u + len;
    if (next > last) return ParseResult::kDrop;
    q->label_off[labels++] = static_cast<std::uint8_t>(pos);
    pos = next;
  }
  q->label_off[labels] = static_cast<std::uint8_t>(pos);
  q->label_count = labels;
  q->qname_len = pos + 1;
  lower_name(name, q->qname_len, q->lname.data());
  const std::size_t t = kHeaderSize + q->qname_len;
  q->qtype = load_u16(&p[t]);
  q->qclass = load_u16(&p[t + 2]);
  q->question_end = t + 4;

  q->edns = EdnsState::kNone;
  q->edns_udp_size = 0;
  q->edns_version = 0;
  q->edns_do = false;
  if (q->arcount != 0) parse_edns(p, q);
  return ParseResult::kOk;
}

}  // namespace fastrbl::core
