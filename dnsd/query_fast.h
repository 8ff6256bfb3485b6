#pragma once
// answer()'s fast path (docs/ARCHITECTURE.md, "The query path"): the common query (a
// plain QUERY for A or TXT, class IN, no EDNS or other records, under a zone served by
// ip4set or dnset datasets alone, below its apex, a reversed IPv4 address for an ip4set
// zone) from the question bytes to the lookup, with no ParsedQuery or QueryKey. It writes
// exactly the bytes the general path writes for such a query (the same writer, sink,
// datasets and zone records), and returns "not answered", having written nothing that
// counts, whenever anything is unusual; the general path then answers (or drops) the
// query. Inline, so that the worker's batch loop has it without a call
// (answer_fast_in_place()); answer() (dnsd/query.cc) tries it first too.
// Thread safety: as answer() (query.h).

#include "core/bytes.h"
#include "core/dns.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "dnsd/query.h"
#include "zones/answer_sink.h"
#include "zones/dnset.h"
#include "zones/ip4set.h"
#include "zones/snapshot.h"
#include "zones/zone_records.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fastrbl::dnsd {

namespace detail {

// QDCOUNT 1, ANCOUNT, NSCOUNT, ARCOUNT 0.
inline constexpr std::array<std::uint8_t, 8> kOneQuestion{0, 1, 0, 0, 0, 0, 0, 0};
// QTYPE A and TXT with QCLASS IN, as 4 bytes of a question read into an integer.
inline constexpr std::uint32_t kAIn = std::bit_cast<std::uint32_t>(std::array<std::uint8_t, 4>{0, 1, 0, 1});
inline constexpr std::uint32_t kTxtIn =
    std::bit_cast<std::uint32_t>(std::array<std::uint8_t, 4>{0, 16, 0, 1});

// a[0, n) lowercased == b[0, n) (b: a lowercase wire name). Not inlined: only zone names
// over 16 bytes need it (with SSE2), and inline it would cost the zone search saved registers.
[[gnu::noinline]] inline bool tail_is(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
  struct Lower {
    std::uint8_t operator()(std::uint8_t c) const noexcept { return core::lower(c); }
    std::uint64_t operator()(std::uint64_t w) const noexcept { return core::detail::lower8(w); }
  };
  return core::equal_folded(a, b, n, Lower{});
}

// The end of a query name, to find its zone: the name's last 16 bytes, compared with each
// zone's tail in either case (with SSE2; else the name itself, with a lowercasing compare).
class NameEnd {
 public:
  // `end`: just past the root byte of a name of `len` bytes; reads end[-16, 0).
  NameEnd(const std::uint8_t* end, std::size_t len) noexcept : end_(end), len_(len) {
#if defined(__SSE2__)
    last16_ = _mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16));  // NOLINT: SSE load
#endif
  }
  // Whether the zone `z` is the name's tail (as bytes: not necessarily as labels). May
  // say so of a zone longer than the name whose tail matches the bytes before the name.
  bool ends_in(const zones::FastZone& z) const noexcept {
#if defined(__SSE2__)
    const __m128i zt = _mm_loadu_si128(reinterpret_cast<const __m128i*>(z.tail.data()));       // NOLINT
    const __m128i zc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(z.tail_case.data()));  // NOLINT
    const auto eq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(last16_, zc), zt)));
    if ((eq & z.tail_mask) != z.tail_mask) return false;
    return z.size <= 16 || (z.size <= len_ && tail_is(end_ - z.size, z.name, z.size - 16u));
#else
    return z.size <= len_ && tail_is(end_ - z.size, z.name, z.size);
#endif
  }

 private:
  const std::uint8_t* end_;
  std::size_t len_;
#if defined(__SSE2__)
  __m128i last16_;
#endif
};

// The authority section after the answer records, as rbldnsd writes it: the SOA for
// NXDOMAIN (not `found`) and NODATA, the NS set (with glue when it fits) for a positive
// answer unless lazy. Returns the rcode. Both paths call it when no answer record overflowed.
inline core::Rcode write_authority(core::ResponseWriter& w, const zones::Zone& zone,
                                   const zones::ApexPosition& owner, bool found, const AnswerConfig& config,
                                   WorkerState& state) noexcept {
  using core::Rcode;
  using core::Section;
  w.set_section(Section::kAuthority);
  if (!found) {
    if (zone.soa) zones::add_soa(w, zone, owner, true);
    return Rcode::kNxDomain;
  }
  if (w.count(core::Section::kAnswer) == 0) {  // NODATA
    if (zone.soa) zones::add_soa(w, zone, owner, true);
  } else if (!config.lazy && !zone.ns.empty()) {
    const std::uint32_t first = state.ns_rotation++;
    if (!zones::add_ns_set(w, zone, owner, first, true)) {
      w.set_section(Section::kAuthority);
      zones::add_ns_set(w, zone, owner, first, false);
    }
  }
  return Rcode::kNoError;
}

/// Reversed-IPv4 octet labels, as zones::prepare_query_key reads them (rbldnsd's rule): a
/// label of 1-3 decimal digits with value <= 255, leading zeros allowed. Branch-free, from
/// a table: kOctet.add[l][i][c] is what byte c at position i (0-2) after a length byte l
/// adds to the label's value: its digit times 10^(l-1-i) for i < l, 0 for i >= l (bytes
/// past the label count for nothing), kBadOctet for a byte within the label that is not a
/// digit, and kBadOctet for every byte when l is not 1-3 (row 0). A label's value is the
/// sum of its three entries: over 255 means not an octet.
/// by_length[b] for a length byte b: where its row starts in `add` (in entries) in the low
/// 16 bits, and how far the next label is (b + 1 for b 1-3, else 1) above them, so that
/// a label costs one lookup for its length.
struct OctetTable {
  std::uint16_t add[4][3][256];
  std::uint32_t by_length[256];
};
inline constexpr std::uint16_t kBadOctet = 0x400;

constexpr OctetTable make_octet_table() noexcept {
  OctetTable t{};
  for (std::size_t c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9';
    for (std::size_t i = 0; i < 3; ++i) t.add[0][i][c] = kBadOctet;
    for (std::size_t l = 1; l <= 3; ++l) {
      std::uint16_t weight = 1;
      for (std::size_t i = l; i-- > 0;) {
        t.add[l][i][c] = digit ? static_cast<std::uint16_t>((c - '0') * weight) : kBadOctet;
        weight = static_cast<std::uint16_t>(weight * 10);
      }
      for (std::size_t i = l; i < 3; ++i) t.add[l][i][c] = 0;
    }
    const std::size_t l = c >= 1 && c <= 3 ? c : 0;
    t.by_length[c] = static_cast<std::uint32_t>(l * 3 * 256 | (l + 1) << 16);
  }
  return t;
}
inline constexpr OctetTable kOctet = make_octet_table();

/// The octet label at name[pos] (its length byte): returns its value, or a number > 255
/// when it is not an octet label; moves `pos` past it (by 1 when its length is not 1-3).
/// Reads name[pos, pos + 4).
[[gnu::always_inline]] inline std::uint32_t octet_at(const std::uint8_t* name, std::size_t& pos) noexcept {
  const std::uint8_t* l = name + pos;
  const std::uint32_t info = kOctet.by_length[l[0]];
  const std::uint16_t* row = &kOctet.add[0][0][0] + (info & 0xffff);
  pos += info >> 16;
  return std::uint32_t{row[l[1]]} + row[256 + l[2]] + row[512 + l[3]];
}

// The fast path past fast_zone(), which found the zone `fz`. Always inlined: answer() and
// the worker's batch loop (answer_fast_in_place()) each have their own copy (a call would
// cost both a prologue and the arguments the copy gets from its caller's registers).
// `in_place`: `out` starts with the query itself (out.data() == query.data()), so the
// reply's header and question are already there; nothing is written before the fast path
// knows it answers, so a declined query is left as it came.
[[gnu::always_inline]] inline FastReply fast_answer(const AnswerConfig& config,
                                                    std::span<const std::uint8_t> query,
                                                    std::span<std::uint8_t> out, Transport transport,
                                                    WorkerState& state, const zones::FastZone& fz,
                                                    bool in_place = false) noexcept {
  const std::uint8_t* p = query.data();
  const std::size_t size = query.size();
  const std::size_t qname_len = size - core::kHeaderSize - 4;
  const std::uint16_t qtype = core::load_u16(p + size - 4);
  // The whole packet to `out` as it is: the header and the question the reply starts with
  // (16 bytes at a time, the last 16 again; size >= 20).
  // Most queries are 33-64 bytes: three blocks and the last 16 bytes without a loop.
  std::uint8_t* const o = out.data();
  if (!in_place) {
    std::memcpy(o, p, 16);
    if (size > 32) {
      std::memcpy(o + 16, p + 16, 16);
      for (std::size_t i = 32; i + 16 < size; i += 16) std::memcpy(o + i, p + i, 16);
    }
    std::memcpy(o + size - 16, p + size - 16, 16);
  }
  // The name relative to the apex, [0, rsize): labels of 1-63 bytes that end exactly there.
  const std::size_t rsize = qname_len - fz.size;
  const std::uint8_t* lname;                          // the relative name, lowercased
  std::array<std::uint8_t, core::kMaxNameLen> lower;  // [0, rsize) for a dnset
  std::size_t rel = 0;                                // its labels
  std::size_t last = 0;                               // the offset of its last label (the one above the apex)
  std::uint32_t addr = 0;
  if (fz.kind == zones::FastZone::Kind::kIp4Set) {
    // Reversed octets, four labels: the first label is the last octet. A label that is
    // not an octet fails, and the next one is looked for right after its length byte.
    // Read from the copy in `out` (digits need no lowercasing), which has room for the
    // 4 bytes octet_at() reads whatever the name: a label that reaches past the relative
    // name fails `pos != rsize` whatever those bytes are.
    lname = o + core::kHeaderSize;
    std::size_t pos = 0;
    const std::uint32_t a = octet_at(lname, pos);
    const std::uint32_t b = octet_at(lname, pos);
    const std::uint32_t c = octet_at(lname, pos);
    last = pos;
    const std::uint32_t d = octet_at(lname, pos);
    if ((a | b | c | d) > 255 || pos != rsize) return {};
    addr = a | b << 8 | c << 16 | d << 24;
    rel = 4;
  } else {
    const std::uint8_t* name = p + core::kHeaderSize;
    std::size_t pos = 0;
    std::uint32_t bad = 0;  // (length - 1) of every label or-ed: over 62 for 0 or over 63
    do {
      const std::uint32_t len = name[pos];
      bad |= len - 1u;
      last = pos;
      pos += 1u + len;
      ++rel;
    } while (pos < rsize);
    if (pos != rsize || bad > core::kMaxLabelLen - 1) return {};
    core::lower_name(name, rsize, lower.data());
    lname = lower.data();
  }

  // The lookup, before anything is written: the general path's dataset loop, split into
  // finding and writing.
  const std::span<const std::uint8_t> rname(lname, rsize);
  std::array<std::uint32_t, zones::FastZone::kMaxDatasets> ip4_sets;
  std::array<zones::DnSet::Match, zones::FastZone::kMaxDatasets> dn_matches;
  bool listed = false;  // some dataset has records to write
  bool exists = false;  // some dataset knows the name (the general path's `found`)
  // The first dataset outside the loops: most zones have one (a fast zone has at least one).
  if (fz.kind == zones::FastZone::Kind::kIp4Set) {
    ip4_sets[0] = static_cast<const zones::Ip4Set*>(fz.datasets[0])->find(addr);
    listed = ip4_sets[0] != zones::Ip4Set::kNotListed;
    for (std::size_t i = 1; i < fz.count; ++i) {
      ip4_sets[i] = static_cast<const zones::Ip4Set*>(fz.datasets[i])->find(addr);
      listed |= ip4_sets[i] != zones::Ip4Set::kNotListed;
    }
    exists = listed;  // an ip4set knows a full address only when it lists it
  } else {
    dn_matches[0] = static_cast<const zones::DnSet*>(fz.datasets[0])->match(rname, rel);
    listed = dn_matches[0].id != zones::NameIndex::kNone;
    exists = dn_matches[0].exists;
    for (std::size_t i = 1; i < fz.count; ++i) {
      dn_matches[i] = static_cast<const zones::DnSet*>(fz.datasets[i])->match(rname, rel);
      listed |= dn_matches[i].id != zones::NameIndex::kNone;
      exists |= dn_matches[i].exists;
    }
  }

  const zones::Zone& zone = *fz.zone;
  const std::uint16_t zone16 = fz.index;
  const std::size_t limit =
      std::min(transport == Transport::kTcp ? core::kMaxTcpMessage : core::kMaxUdpPayload, out.size());
  const std::uint8_t flags =
      static_cast<std::uint8_t>(core::kFlagQR | core::kFlagAA | (p[2] & core::kFlagRD));
  // Where the apex is in the question, and the label above it (for the templates that
  // must check it): only when a template needs more than a copy.
  auto owner = [&]() -> zones::ApexPosition {
    return {static_cast<std::uint16_t>(core::kHeaderSize + rsize), lname + last};
  };
  const std::size_t qend = size;
  using core::Rcode;
  const Rcode negative = exists ? Rcode::kNoError : Rcode::kNxDomain;

  if (!listed) {
    // NXDOMAIN or NODATA: the header, the question (copied above) and the zone's SOA
    // template, which is what begin(), add_soa() and finish() write when it applies.
    std::size_t end = qend;  // no SOA in the zone: no authority record
    // The zone's fields in locals first: the stores through `o` below may alias anything
    // (bytes), and the compiler would load each field again after every one.
    const std::uint8_t* const soa_table = fz.soa_table;
    const std::size_t soa_size = fz.soa_size;
    if (soa_table != nullptr && qend + soa_size <= limit) {
      // write_after_question() when it is one 64-byte copy (shift rsize, which the table
      // always has; the records go right after the question, at qend <= 271, so 64 bytes
      // fit in `out`).
      const std::uint8_t* const soa = soa_table + rsize * fz.soa_stride;
      std::memcpy(o + qend, soa, 16);
      std::memcpy(o + qend + 16, soa + 16, 16);
      std::memcpy(o + qend + 32, soa + 32, 16);
      std::memcpy(o + qend + 48, soa + 48, 16);
      end = qend + soa_size;
    } else if (fz.has_soa) {
      const zones::ApexPosition at = owner();
      end = fz.soa != nullptr ? fz.soa->write_after_question(out, limit, at.owner, at.above_apex) : 0;
    }
    if (end != 0) {  // else the writer below (the template does not apply, or no room)
      out[2] = flags;
      out[3] = static_cast<std::uint8_t>(negative);
      std::memcpy(&out[4], fz.negative_counts.data(), 8);  // QDCOUNT 1, ANCOUNT 0, NS/ARCOUNT
      return {static_cast<std::uint16_t>(end), zone16, 0, negative};
    }
  }

  // The NS set with glue after the answer ending at `at`, as write_authority() writes it
  // when the template applies (the answer records registered no compression targets);
  // 0 when it does not.
  auto write_ns = [&](std::size_t at, std::size_t ancount) __attribute__((always_inline))->std::size_t {
    if (ancount == 0 || !exists || config.lazy || fz.ns_count == 0) return 0;
    const std::uint32_t first = state.ns_rotation;
    const std::optional<core::RecordTemplate>& ns = fz.ns_glue[first % fz.ns_count];
    const zones::ApexPosition ap = owner();
    const std::size_t end = ns ? ns->write_fresh(out, at, limit, ap.owner, ap.above_apex) : 0;
    if (end == 0) return 0;
    state.ns_rotation = first + 1;
    out[2] = flags;
    out[3] = 0;
    core::store_u16(&out[4], 1);
    core::store_u16(&out[6], static_cast<std::uint16_t>(ancount));
    core::store_u16(&out[8], ns->counts()[1]);
    core::store_u16(&out[10], ns->counts()[2]);
    return end;
  };

  // The usual hit: an A query, one dataset, one value. Its A record goes right after the
  // question as AnswerSink::add_a() writes the first answer record, then the NS set; when
  // the template does not apply, the writer below writes the whole answer again.
  if (listed && qtype == core::rrtype::kA && fz.count == 1 && qend + 16 <= limit) {
    const zones::Value* v = fz.kind == zones::FastZone::Kind::kIp4Set
                                ? static_cast<const zones::Ip4Set*>(fz.datasets[0])->only_value(ip4_sets[0])
                                : static_cast<const zones::DnSet*>(fz.datasets[0])->only_value(dn_matches[0]);
    if (v != nullptr) {
      core::store_u16(o + qend, static_cast<std::uint16_t>(0xc000u | zones::kQnameOffset));
      core::ResponseWriter::put_a_fields(o + qend + 2, fz.datasets[0]->meta().ttl, v->a.data());
      if (const std::size_t end = write_ns(qend + 16, 1); end != 0)
        return {static_cast<std::uint16_t>(end), zone16, 1, Rcode::kNoError};
    }
  }

  core::ResponseWriter w(out);
  w.begin_copied(qend, limit);
  std::uint8_t* h = w.header();
  h[2] = flags;
  h[3] = 0;
  zones::AnswerSink sink(w, qtype);
  for (std::size_t i = 0; listed && i < fz.count; ++i) {
    if (fz.kind == zones::FastZone::Kind::kIp4Set) {
      if (ip4_sets[i] != zones::Ip4Set::kNotListed)
        static_cast<const zones::Ip4Set*>(fz.datasets[i])->emit(ip4_sets[i], addr, sink);
    } else if (dn_matches[i].id != zones::NameIndex::kNone) {
      static_cast<const zones::DnSet*>(fz.datasets[i])->emit(dn_matches[i], sink);
    }
  }

  const std::uint16_t ancount = w.count(core::Section::kAnswer);
  if (sink.overflow()) {  // as the general path: TC rather than a silently dropped record
    h[2] |= core::kFlagTC;
    return {static_cast<std::uint16_t>(w.finish()), zone16, ancount, Rcode::kNoError};
  }
  // A positive answer: the NS set with glue in AUTHORITY.
  if (const std::size_t end = write_ns(w.size(), ancount); end != 0)
    return {static_cast<std::uint16_t>(end), zone16, ancount, Rcode::kNoError};
  const Rcode rcode = write_authority(w, zone, owner(), exists, config, state);
  h[3] = static_cast<std::uint8_t>(rcode);
  return {static_cast<std::uint16_t>(w.finish()), zone16, ancount, rcode};
}

}  // namespace detail

/// The fast zone (in snapshot.fast_zones()) a query goes to, or null when the general path
/// answers it: not a plain QUERY for A or TXT in class IN with one
/// question and no other records, a name over 255 bytes, or a name whose tail is no fast
/// zone's apex (the first, most specific, zone whose bytes end the name decides: kGeneric,
/// or the apex itself). The question must end the packet: the zone is found from the name's
/// tail, and the fast path then walks the name from its start to exactly there (with bytes
/// after the question, no walk lands there, and the general path answers).
[[gnu::always_inline]] inline const zones::FastZone* fast_zone(const zones::Snapshot& snapshot,
                                                               std::span<const std::uint8_t> query) noexcept {
  const std::span<const zones::FastZone> zones = snapshot.fast_zones();
  const std::uint8_t* p = query.data();
  const std::size_t size = query.size();
  // 20 bytes at least: the 16-byte tail compare reads from the header on.
  if (size < 20 || size > core::kHeaderSize + core::kMaxNameLen + 4) return nullptr;
  // QR, opcode, AA and TC clear (RD may be set); one question and no other records.
  if ((p[2] & ~core::kFlagRD) != 0 || std::memcmp(p + 4, detail::kOneQuestion.data(), 8) != 0) return nullptr;
  // QTYPE A or TXT, QCLASS IN: the last 4 bytes, compared as they are.
  const std::size_t t = size - 4;
  std::uint32_t type_class = 0;
  std::memcpy(&type_class, p + t, 4);
  if (type_class != detail::kAIn && type_class != detail::kTxtIn) return nullptr;
  const std::size_t qname_len = size - core::kHeaderSize - 4;
  const detail::NameEnd name_end(p + t, qname_len);
  const zones::FastZone* z = zones.data();
  const zones::FastZone* const end = z + zones.size();
  while (z != end && !name_end.ends_in(*z)) ++z;
  if (z == end) return nullptr;
  // At least one byte of a label above the apex.
  if (z->kind == zones::FastZone::Kind::kGeneric || z->size + 2u > qname_len) return nullptr;
  return z;
}

/// answer()'s fast path alone, over UDP, for a caller that counts its queries itself (the
/// worker's batch loop), with the reply written over the query: `packet` starts with the
/// query, `size` bytes, and has room for the reply (kUdpOutSize bytes: the worker's receive
/// slot), which then starts with the query's own header and question, left where they are
/// (no copy). When it answers (len != 0) the reply is the one answer() writes, and answer()
/// would have said replied, parsed, class IN, the query's QTYPE (its last 4 bytes are QTYPE
/// and QCLASS) and the zone, rcode and ancount given. When it declines (len 0), `packet`
/// still holds the query as it came: answer_general() answers it. Same requirements as
/// answer(). Always inlined (into the batch loop: no call for the common query).
[[gnu::always_inline]] inline FastReply answer_fast_in_place(const zones::Snapshot& snapshot,
                                                             const AnswerConfig& config,
                                                             std::span<std::uint8_t> packet, std::size_t size,
                                                             WorkerState& state) noexcept {
  const std::span<const std::uint8_t> query(packet.data(), size);
  const zones::FastZone* fz = fast_zone(snapshot, query);
  if (fz == nullptr) return {};
  return detail::fast_answer(config, query, packet, Transport::kUdp, state, *fz, true);
}

}  // namespace fastrbl::dnsd
