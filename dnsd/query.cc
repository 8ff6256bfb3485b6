#include "dnsd/query.h"

#include "core/bytes.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "zones/answer_sink.h"
#include "zones/dnset.h"
#include "zones/ip4set.h"
#include "zones/query_key.h"
#include "zones/zone_records.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fastrbl::dnsd {

namespace {

using core::Rcode;
using core::ResponseWriter;
using core::Section;

// What rbldnsd advertises when it adds an OPT record; we use the same number.
constexpr std::uint16_t kAdvertisedUdpSize = 2048;

constexpr std::array<std::uint8_t, 14> kVersionBind{7,   'v', 'e', 'r', 's', 'i', 'o',
                                                    'n', 4,   'b', 'i', 'n', 'd', 0};
constexpr std::array<std::uint8_t, 16> kVersionServer{7, 'v', 'e', 'r', 's', 'i', 'o', 'n',
                                                      6, 's', 'e', 'r', 'v', 'e', 'r', 0};

bool is_version_name(const core::ParsedQuery& q) noexcept {
  auto eq = [&](const auto& n) {
    return q.qname_len == n.size() && std::memcmp(q.lname.data(), n.data(), n.size()) == 0;
  };
  return eq(kVersionBind) || eq(kVersionServer);
}

// The response under construction plus what is needed to finish it.
class Reply {
 public:
  /// Requires: w.begin() was called; the writer holds just the header and question.
  Reply(ResponseWriter& w, const core::ParsedQuery& q, AnswerInfo* info)
      : w_(w), q_(q), info_(info), start_(w.mark()) {}

  void set_rcode(Rcode r) noexcept {
    std::uint8_t* h = w_.header();
    h[3] = static_cast<std::uint8_t>((h[3] & ~core::kRcodeMask) | static_cast<std::uint8_t>(r));
    info_->rcode = r;
  }
  void clear_aa() noexcept { w_.header()[2] = static_cast<std::uint8_t>(w_.header()[2] & ~core::kFlagAA); }

  // Ends the response: the OPT record for EDNS queries, counts into the header.
  std::size_t finish(std::uint8_t ext_rcode = 0) noexcept {
    if (q_.edns == core::EdnsState::kPresent) w_.add_opt(kAdvertisedUdpSize, ext_rcode, 0, q_.edns_do);
    info_->ext_rcode = ext_rcode;
    info_->ancount = w_.count(Section::kAnswer);
    info_->replied = true;
    return w_.finish();
  }

  // An error reply: no records, no AA (rbldnsd's refuse()).
  std::size_t refuse(Rcode r) noexcept {
    w_.rollback(start_);
    clear_aa();
    set_rcode(r);
    return finish();
  }

 private:
  ResponseWriter& w_;
  const core::ParsedQuery& q_;
  AnswerInfo* info_;
  const ResponseWriter::Mark start_;
};

// Where the zone's apex is inside the question (owner of SOA/NS) and the label above it.
zones::ApexPosition apex_position(const core::ParsedQuery& q, const zones::Zone& zone) noexcept {
  const std::size_t rel = q.label_count - zone.name.label_count();
  zones::ApexPosition at;
  at.owner = static_cast<std::uint16_t>(core::kHeaderSize + q.label_off[rel]);
  if (rel > 0) at.above_apex = q.lname.data() + q.label_off[rel - 1];
  return at;
}

bool acl_is(const zones::AclRule* r, zones::AclAction a) noexcept { return r != nullptr && r->action == a; }

// The client address as text (the `$` of an acl template); empty if unknown.
std::string_view peer_text(const sockaddr* peer, std::span<char, INET6_ADDRSTRLEN> buf) noexcept {
  if (peer == nullptr) return {};
  const char* r = nullptr;
  if (peer->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, peer, sizeof sin);
    r = inet_ntop(AF_INET, &sin.sin_addr, buf.data(), static_cast<socklen_t>(buf.size()));
  } else if (peer->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, peer, sizeof sin6);
    r = inet_ntop(AF_INET6, &sin6.sin6_addr, buf.data(), static_cast<socklen_t>(buf.size()));
  }
  return r == nullptr ? std::string_view{} : std::string_view(r);
}

// The authority section after the answer records, as rbldnsd writes it: the SOA for
// NXDOMAIN (not `found`) and NODATA, the NS set (with glue when it fits) for a positive
// answer unless lazy. Returns the rcode. Both paths call it when no answer record overflowed.
Rcode write_authority(ResponseWriter& w, const zones::Zone& zone, const zones::ApexPosition& owner,
                      bool found, const AnswerConfig& config, WorkerState& state) noexcept {
  w.set_section(Section::kAuthority);
  if (!found) {
    if (zone.soa) zones::add_soa(w, zone, owner, true);
    return Rcode::kNxDomain;
  }
  if (w.count(Section::kAnswer) == 0) {  // NODATA
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

// ---------------------------------------------------------------------------------------
// The fast path: the common query (a plain QUERY for A or TXT, class IN, no EDNS or other
// records, under a zone served by ip4set or dnset datasets alone, below its apex, a
// reversed IPv4 address for an ip4set zone) in one walk from the question bytes to the
// lookup, with no ParsedQuery or QueryKey. It writes exactly the bytes the general path
// writes for such a query (the same writer, sink, datasets and zone records), and returns
// kFallback, having written nothing that counts, whenever anything is unusual; the general
// path then answers (or drops) the query.

constexpr std::size_t kFallback = ~std::size_t{0};

// QDCOUNT 1, ANCOUNT, NSCOUNT, ARCOUNT 0.
constexpr std::array<std::uint8_t, 8> kOneQuestion{0, 1, 0, 0, 0, 0, 0, 0};

// A label of 1-3 decimal digits with value <= 255 (leading zeros allowed), as
// zones::prepare_query_key reads it. Returns the value, or a number > 255. Reads l[0, 4).
std::uint32_t octet(const std::uint8_t* l) noexcept {
  const std::uint32_t len = l[0];
  const std::uint32_t d0 = l[1] - std::uint32_t{'0'}, d1 = l[2] - std::uint32_t{'0'},
                      d2 = l[3] - std::uint32_t{'0'};
  if (len - 1 > 2 || d0 > 9) return 256;  // 1 to 3 digits (len 0 wraps around)
  if (len == 1) return d0;
  if (d1 > 9) return 256;
  if (len == 2) return d0 * 10 + d1;
  return d2 > 9 ? 256 : d0 * 100 + d1 * 10 + d2;
}

// a[0, n) lowercased == b[0, n) (b: a lowercase wire name).
bool tail_is(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
  struct Lower {
    std::uint8_t operator()(std::uint8_t c) const noexcept { return core::lower(c); }
    std::uint64_t operator()(std::uint64_t w) const noexcept { return core::detail::lower8(w); }
  };
  return core::equal_folded(a, b, n, Lower{});
}

// The end of a query name, to find its zone: the name's last 16 bytes, lowercased (with
// SSE2; else the name itself, compared with a lowercasing compare).
class NameEnd {
 public:
  /// `end`: just past the root byte of a name of `len` bytes; reads end[-16, 0).
  NameEnd(const std::uint8_t* end, std::size_t len) noexcept : end_(end), len_(len) {
#if defined(__SSE2__)
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16));  // NOLINT: SSE load
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                                        _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
    last16_ = _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
#endif
  }
  /// Whether the zone `z` is the name's tail (as bytes: not necessarily as labels). May
  /// say so of a zone longer than the name whose tail matches the bytes before the name.
  bool ends_in(const zones::FastZone& z) const noexcept {
#if defined(__SSE2__)
    const __m128i zt = _mm_loadu_si128(reinterpret_cast<const __m128i*>(z.tail.data()));  // NOLINT
    const auto eq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(last16_, zt)));
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

std::size_t fast_answer(const zones::Snapshot& snapshot, const AnswerConfig& config,
                        std::span<const std::uint8_t> query, std::span<std::uint8_t> out, Transport transport,
                        WorkerState& state, AnswerInfo* info) noexcept {
  const std::uint8_t* p = query.data();
  const std::size_t size = query.size();
  // A header, a name of at most 255 bytes that ends the packet but for QTYPE/QCLASS (the
  // zone is found from the name's tail, and the name is walked from its start to exactly
  // there: with bytes after the question, no walk lands there), 20 bytes at least (the
  // 16-byte tail compare reads from the header on).
  if (size < 20 || size > core::kHeaderSize + core::kMaxNameLen + 4) return kFallback;
  // QR, opcode, AA and TC clear (RD may be set); one question and no other records.
  if ((p[2] & ~core::kFlagRD) != 0 || std::memcmp(p + 4, kOneQuestion.data(), 8) != 0) return kFallback;
  const std::size_t qname_len = size - core::kHeaderSize - 4;
  const std::size_t t = size - 4;  // QTYPE, QCLASS
  const std::uint16_t qtype = core::load_u16(p + t);
  if (core::load_u16(p + t + 2) != core::rrclass::kIN ||
      (qtype != core::rrtype::kA && qtype != core::rrtype::kTXT))
    return kFallback;
  // The zone: the first (most specific) whose apex is the name's tail. When that tail
  // is not where a label starts, or is the whole name, the general path decides.
  const std::span<const zones::FastZone> zones = snapshot.fast_zones();
  const NameEnd name_end(p + t, qname_len);
  std::size_t zi = 0;
  while (zi < zones.size() && !name_end.ends_in(zones[zi])) ++zi;
  if (zi == zones.size()) return kFallback;
  const zones::FastZone& fz = zones[zi];
  if (fz.kind == zones::FastZone::Kind::kGeneric || fz.size + 2u > qname_len) return kFallback;
  // The whole packet to `out` as it is (the header and the question the reply starts
  // with) and lowercased to `lower` (its name: `lname`), with 16 zero bytes after it
  // (the octet parser reads up to 4 bytes past a label).
  std::array<std::uint8_t, core::kHeaderSize + core::kMaxNameLen + 4 + 16> lower;
  core::lower_name(p, size, lower.data(), out.data());
  std::memset(lower.data() + size, 0, 16);
  const std::uint8_t* const lname = lower.data() + core::kHeaderSize;
  // The name relative to the apex, [0, rsize): labels of 1-63 bytes that end exactly there.
  const std::size_t rsize = qname_len - fz.size;
  std::size_t rel = 0;   // its labels
  std::size_t last = 0;  // the offset of its last label (the one above the apex)
  std::uint32_t addr = 0;
  if (fz.kind == zones::FastZone::Kind::kIp4Set) {
    // Reversed octets, four labels: the first label is the last octet.
    // A length over 3 fails octet(); the next label is looked for within 4 bytes anyway.
    const std::uint32_t a = octet(lname);
    const std::size_t s1 = 1u + (lname[0] & 3u);
    const std::uint32_t b = octet(lname + s1);
    const std::size_t s2 = s1 + 1u + (lname[s1] & 3u);
    const std::uint32_t c = octet(lname + s2);
    const std::size_t s3 = s2 + 1u + (lname[s2] & 3u);
    const std::uint32_t d = octet(lname + s3);
    if ((a | b | c | d) > 255 || s3 + 1u + lname[s3] != rsize) return kFallback;
    addr = a | b << 8 | c << 16 | d << 24;
    rel = 4;
    last = s3;
  } else {
    std::size_t pos = 0;
    std::uint32_t bad = 0;  // (length - 1) of every label or-ed: over 62 for 0 or over 63
    do {
      const std::uint32_t len = lname[pos];
      bad |= len - 1u;
      last = pos;
      pos += 1u + len;
      ++rel;
    } while (pos < rsize);
    if (pos != rsize || bad > core::kMaxLabelLen - 1) return kFallback;
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

  const zones::Zone& zone = snapshot.zones()[zi];
  info->parsed = true;
  info->qtype = qtype;
  info->qclass = core::rrclass::kIN;
  info->zone = static_cast<std::ptrdiff_t>(zi);
  const std::size_t limit =
      std::min(transport == Transport::kTcp ? core::kMaxTcpMessage : core::kMaxUdpPayload, out.size());
  const std::uint8_t flags =
      static_cast<std::uint8_t>(core::kFlagQR | core::kFlagAA | (p[2] & core::kFlagRD));
  const zones::ApexPosition owner{static_cast<std::uint16_t>(core::kHeaderSize + rsize), lname + last};
  const std::size_t qend = size;
  const core::Rcode negative = exists ? Rcode::kNoError : Rcode::kNxDomain;

  if (!listed) {
    // NXDOMAIN or NODATA: the header, the question (copied above) and the zone's SOA
    // template, which is what begin(), add_soa() and finish() write when it applies.
    std::size_t end = qend;  // no SOA in the zone: no authority record
    if (fz.has_soa)
      end = fz.soa != nullptr ? fz.soa->write_after_question(out, limit, owner.owner, owner.above_apex) : 0;
    if (end != 0) {  // else the writer below (the template does not apply, or no room)
      out[2] = flags;
      out[3] = static_cast<std::uint8_t>(negative);
      out[6] = 0;  // ANCOUNT
      out[7] = 0;
      std::memcpy(&out[8], fz.soa_counts.data(), 4);  // zeros without a SOA
      info->rcode = negative;
      info->ancount = 0;
      info->replied = true;
      return end;
    }
  }

  ResponseWriter w(out);
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

  core::Rcode rcode = Rcode::kNoError;
  const std::uint16_t ancount = w.count(Section::kAnswer);
  info->rcode = rcode;
  info->ancount = ancount;
  info->replied = true;
  if (sink.overflow()) {  // as the general path: TC rather than a silently dropped record
    h[2] |= core::kFlagTC;
    return w.finish();
  }
  // A positive answer: the NS set with glue in AUTHORITY, as write_authority() writes it
  // when the template applies (the answer records registered no compression targets).
  if (ancount != 0 && exists && !config.lazy && fz.ns_count != 0) {
    const std::uint32_t first = state.ns_rotation;
    const std::optional<core::RecordTemplate>& ns = fz.ns_glue[first % fz.ns_count];
    const std::size_t end = ns ? ns->write_fresh(out, w.size(), w.limit(), owner.owner, owner.above_apex) : 0;
    if (end != 0) {
      state.ns_rotation = first + 1;
      core::store_u16(&h[6], ancount);
      core::store_u16(&h[8], ns->counts()[1]);
      core::store_u16(&h[10], ns->counts()[2]);
      return end;
    }
  }
  rcode = write_authority(w, zone, owner, exists, config, state);
  h[3] = static_cast<std::uint8_t>(rcode);
  info->rcode = rcode;
  return w.finish();
}

}  // namespace

const char* version_string() noexcept { return "fastrbl " FASTRBL_VERSION; }

std::size_t answer(const zones::Snapshot& snapshot, const AnswerConfig& config,
                   std::span<const std::uint8_t> query, std::span<std::uint8_t> out, Transport transport,
                   const sockaddr* peer, WorkerState& state, AnswerInfo* info) noexcept {
  AnswerInfo scratch;
  if (info == nullptr) info = &scratch;
  *info = AnswerInfo{};
  if (!snapshot.fast_zones().empty()) {
    const std::size_t n = fast_answer(snapshot, config, query, out, transport, state, info);
    if (n != kFallback) return n;
    *info = AnswerInfo{};
  }
  // The global acl comes first: `ignore` drops the packet before it is even parsed.
  const zones::AclRule* global_rule = nullptr;
  if (const zones::Acl* g = snapshot.global_acl()) {
    global_rule = g->lookup(peer);
    if (acl_is(global_rule, zones::AclAction::kIgnore)) return 0;
  }
  // rbldnsd reads at most 2048 bytes of a query; the rest is as if never sent.
  if (query.size() > core::kMaxQuerySize) query = query.first(core::kMaxQuerySize);

  core::ParsedQuery q;
  if (core::parse_query(query, &q) != core::ParseResult::kOk) return 0;
  info->parsed = true;
  info->qtype = q.qtype;
  info->qclass = q.qclass;

  // Size limit: 512 without EDNS; with EDNS the advertised size, between 512 and 4096;
  // the whole message over TCP. Room for the OPT record is kept aside.
  std::size_t limit = core::kMaxUdpPayload;
  if (transport == Transport::kTcp) {
    limit = core::kMaxTcpMessage;
  } else if (q.edns == core::EdnsState::kPresent) {
    limit = std::clamp<std::size_t>(q.edns_udp_size, core::kMaxUdpPayload, core::kMaxEdnsPayload);
  }
  limit = std::min(limit, out.size());
  if (q.edns == core::EdnsState::kPresent) limit -= core::kOptRecordSize;

  ResponseWriter w(out);
  w.begin(query, q.question_end, limit);
  Reply reply(w, q, info);
  std::uint8_t* h = w.header();

  // Opcode other than QUERY, or AA/TC set in the query: NOTIMP with only QR set.
  if (q.flags1 & (core::kOpcodeMask | core::kFlagAA | core::kFlagTC)) {
    h[2] = core::kFlagQR;
    h[3] = 0;
    return reply.refuse(Rcode::kNotImp);
  }
  h[2] = static_cast<std::uint8_t>(core::kFlagQR | (q.flags1 & core::kFlagRD));
  h[3] = 0;  // RA, Z, AD, CD cleared; the query's rcode bits ignored

  if (q.edns == core::EdnsState::kFormErr) {  // two OPT records, or one not owned by the root
    return reply.refuse(Rcode::kFormErr);
  }
  if (q.edns == core::EdnsState::kPresent && q.edns_version != 0) {  // RFC 6891 6.1.3
    info->rcode = Rcode::kNoError;
    info->replied = true;
    return reply.finish(core::kExtRcodeBadVers);
  }

  if (q.qclass == core::rrclass::kIN) {
    h[2] |= core::kFlagAA;
  } else if (q.qclass != core::rrclass::kANY) {
    if (config.version_mode < 2 && q.qclass == core::rrclass::kCH && q.qtype == core::rrtype::kTXT &&
        is_version_name(q)) {
      const char* v = config.version_mode == 0 ? version_string() : "fastrbl";
      const auto* text = reinterpret_cast<const std::uint8_t*>(v);  // NOLINT: chars as bytes
      w.add_txt(zones::kQnameOffset, core::rrclass::kCH, 0, std::span(text, std::strlen(v)));
      return reply.finish();
    }
    return reply.refuse(Rcode::kRefused);
  }

  switch (q.qtype) {
    case core::rrtype::kA:
    case core::rrtype::kTXT:
    case core::rrtype::kNS:
    case core::rrtype::kSOA:
    case core::rrtype::kMX:
    case core::rrtype::kANY:
      break;
    default:
      if (q.qtype >= core::rrtype::kTSIG) return reply.refuse(Rcode::kNotImp);
  }

  std::size_t zone_index = 0;
  const zones::Zone* zone = snapshot.find_zone(q, &zone_index);
  if (zone == nullptr) return reply.refuse(Rcode::kRefused);
  info->zone = static_cast<std::ptrdiff_t>(zone_index);
  // The zone's acl: `ignore` drops (before SERVFAIL); `refuse` from either acl refuses
  // every query to the zone (after SERVFAIL); then `empty`; then a template, the global
  // one first (compat §6.1 steps 9-11, §8.1).
  const zones::AclRule* zone_rule = zone->acl ? zone->acl->lookup(peer) : nullptr;
  if (acl_is(zone_rule, zones::AclAction::kIgnore)) return 0;
  if (!zone->serviced) return reply.refuse(Rcode::kServFail);
  if (acl_is(global_rule, zones::AclAction::kRefuse) || acl_is(zone_rule, zones::AclAction::kRefuse))
    return reply.refuse(Rcode::kRefused);
  const bool acl_empty =
      acl_is(global_rule, zones::AclAction::kEmpty) || acl_is(zone_rule, zones::AclAction::kEmpty);
  const zones::AclRule* tmpl = nullptr;
  const zones::Acl* tmpl_acl = nullptr;
  if (!acl_empty && acl_is(global_rule, zones::AclAction::kTemplate)) {
    tmpl = global_rule;
    tmpl_acl = snapshot.global_acl();
  } else if (!acl_empty && acl_is(zone_rule, zones::AclAction::kTemplate)) {
    tmpl = zone_rule;
    tmpl_acl = zone->acl.get();
  }

  zones::QueryKey key;
  zones::prepare_query_key(q, *zone, &key);
  const zones::ApexPosition owner = apex_position(q, *zone);
  const bool any = q.qtype == core::rrtype::kANY;

  bool found = false;
  if (key.labels == 0) {  // the apex: SOA and NS, then whatever the datasets hold
    found = true;
    if (any || q.qtype == core::rrtype::kSOA) {
      if (!zone->soa || !zones::add_soa(w, *zone, owner, false)) found = false;
    }
    if (found && (any || q.qtype == core::rrtype::kNS)) {
      if (zone->ns.empty() || !zones::add_ns_set(w, *zone, owner, state.ns_rotation++, false)) found = false;
    }
    if (!found) return reply.refuse(Rcode::kRefused);
  }

  zones::AnswerSink sink(w, q.qtype);
  if (acl_empty || tmpl != nullptr) {  // the acl's empty answer or template, not the data
    std::array<char, INET6_ADDRSTRLEN> text{};
    zones::AclOverride ovr;
    if (tmpl != nullptr) {
      ovr.value = &tmpl->value;
      ovr.vars = &tmpl_acl->meta().txt;
      ovr.client = peer_text(peer, text);
      ovr.ttl = tmpl_acl->meta().ttl;
    }
    for (const auto& ds : zone->datasets)
      if (ds->query_acl(key, ovr, sink)) found = true;
  } else {
    for (const auto& ds : zone->datasets)
      if (ds->query(key, sink)) found = true;
  }

  if (sink.overflow()) {
    // Deliberate difference: an answer record did not fit, so say so (TC) rather than
    // drop it silently; the client retries over TCP and gets everything.
    h[2] |= core::kFlagTC;
    reply.set_rcode(Rcode::kNoError);
    return reply.finish();
  }

  reply.set_rcode(write_authority(w, *zone, owner, found, config, state));
  return reply.finish();
}

}  // namespace fastrbl::dnsd
