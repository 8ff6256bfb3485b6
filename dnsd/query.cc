#include "dnsd/query.h"

#include "core/bytes.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "dnsd/query_fast.h"
#include "zones/answer_sink.h"
#include "zones/dnset.h"
#include "zones/ip4set.h"
#include "zones/query_key.h"
#include "zones/zone_records.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

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

// answer() past the fast path: the general path.
[[gnu::always_inline]] inline std::size_t general_answer(const zones::Snapshot& snapshot,
                                                         const AnswerConfig& config,
                                                         std::span<const std::uint8_t> query,
                                                         std::span<std::uint8_t> out, Transport transport,
                                                         const sockaddr* peer, WorkerState& state,
                                                         AnswerInfo* info) noexcept {
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

  reply.set_rcode(detail::write_authority(w, *zone, owner, found, config, state));
  return reply.finish();
}

}  // namespace

const char* version_string() noexcept { return "fastrbl " FASTRBL_VERSION; }

std::size_t answer_general(const zones::Snapshot& snapshot, const AnswerConfig& config,
                           std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                           Transport transport, const sockaddr* peer, WorkerState& state,
                           AnswerInfo* info) noexcept {
  AnswerInfo scratch;
  if (info == nullptr) info = &scratch;
  *info = AnswerInfo{};
  return general_answer(snapshot, config, query, out, transport, peer, state, info);
}

std::size_t answer(const zones::Snapshot& snapshot, const AnswerConfig& config,
                   std::span<const std::uint8_t> query, std::span<std::uint8_t> out, Transport transport,
                   const sockaddr* peer, WorkerState& state, AnswerInfo* info) noexcept {
  AnswerInfo scratch;
  if (info == nullptr) info = &scratch;
  if (const zones::FastZone* fz = fast_zone(snapshot, query)) {
    const FastReply r = detail::fast_answer(config, query, out, transport, state, *fz);
    if (r.len != 0) {
      *info = AnswerInfo{};
      info->replied = true;
      info->parsed = true;
      info->zone = r.zone;
      info->rcode = r.rcode;
      info->ancount = r.ancount;
      info->qtype = core::load_u16(query.data() + query.size() - 4);  // the question ends the query
      info->qclass = core::rrclass::kIN;
      return r.len;
    }
  }
  *info = AnswerInfo{};
  return general_answer(snapshot, config, query, out, transport, peer, state, info);
}

}  // namespace fastrbl::dnsd
