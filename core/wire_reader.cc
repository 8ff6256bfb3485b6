#include "core/wire_reader.h"

#include <cstring>

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
