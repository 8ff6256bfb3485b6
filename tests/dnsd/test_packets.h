#pragma once
// Test support for answer() tests: build a query from a small spec, run answer(), parse
// the response with ldns, and render records as comparable strings; plus temporary data
// directories and snapshot loading. Test-only code: it allocates freely.

#include "core/packet_builder.h"
#include "dnsd/query.h"
#include "loader/load.h"
#include "support/temp_dir.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdlib.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <ldns/ldns.h>

namespace fastrbl::test {

struct QuerySpec {
  QuerySpec(std::string n, std::string t) : name(std::move(n)), type(std::move(t)) {}
  std::string name;
  std::string type;  // "A", "TXT", ... (ignored when qtype_num is set)
  int qtype_num = -1;
  std::uint16_t qclass = 1;
  int opcode = 0;
  bool rd = false, aa = false, tc = false, z = false, ad = false, cd = false;
  bool edns = false;
  std::uint16_t edns_size = 1232;
  std::uint8_t edns_version = 0;
  bool edns_do = false;
  bool extra_opt = false;  // a second OPT record
};

inline std::uint16_t type_number(const QuerySpec& q) {
  if (q.qtype_num >= 0) return static_cast<std::uint16_t>(q.qtype_num);
  return static_cast<std::uint16_t>(ldns_get_rr_type_by_name(q.type.c_str()));
}

inline std::vector<std::uint8_t> build_query(const QuerySpec& q) {
  std::uint8_t f1 = static_cast<std::uint8_t>((q.opcode & 0xf) << 3);
  if (q.rd) f1 |= core::kFlagRD;
  if (q.aa) f1 |= core::kFlagAA;
  if (q.tc) f1 |= core::kFlagTC;
  std::uint8_t f2 = 0;
  if (q.z) f2 |= 0x40;
  if (q.ad) f2 |= 0x20;
  if (q.cd) f2 |= 0x10;
  const std::uint16_t ar = static_cast<std::uint16_t>((q.edns ? 1 : 0) + (q.extra_opt ? 1 : 0));
  PacketBuilder b;
  b.header(0x1234, f1, f2, 1, 0, 0, ar).question(q.name, type_number(q), q.qclass);
  if (q.edns) b.opt(q.edns_size, q.edns_version, q.edns_do);
  if (q.extra_opt) b.opt(q.edns_size);
  return b.take();
}

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

struct Response {
  std::vector<std::uint8_t> bytes;
  std::unique_ptr<ldns_pkt, PktDeleter> pkt;  // null if ldns could not parse it
};

inline Response ask(const zones::Snapshot& snap, const dnsd::AnswerConfig& cfg, const QuerySpec& q,
                    dnsd::Transport t, dnsd::WorkerState& ws) {
  std::vector<std::uint8_t> out(t == dnsd::Transport::kTcp ? dnsd::kTcpOutSize : dnsd::kUdpOutSize);
  auto query = build_query(q);
  dnsd::AnswerInfo info;
  std::size_t n = dnsd::answer(snap, cfg, query, out, t, nullptr, ws, &info);
  Response r;
  r.bytes.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  ldns_pkt* p = nullptr;
  if (n > 0 && ldns_wire2pkt(&p, r.bytes.data(), n) == LDNS_STATUS_OK) r.pkt.reset(p);
  return r;
}

/// "TYPE TTL RDATA" per record (RDATA only for A and TXT, and only when asked), sorted.
inline std::vector<std::string> rrs(const ldns_rr_list* list, bool with_rdata) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    char* type = ldns_rr_type2str(ldns_rr_get_type(rr));
    std::string s = std::string(type) + " " + std::to_string(ldns_rr_ttl(rr));
    free(type);  // NOLINT: ldns allocates with malloc
    const ldns_rr_type t = ldns_rr_get_type(rr);
    if (with_rdata && (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_TXT)) {
      for (std::size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
        char* d = ldns_rdf2str(ldns_rr_rdf(rr, k));
        s += " " + std::string(d);
        free(d);  // NOLINT
      }
    }
    v.push_back(s);
  }
  std::sort(v.begin(), v.end());
  return v;
}

/// Reverse-nibble labels of a fully written IPv6 address ("2001:0db8:...:0001").
inline std::string nibbles(const std::string& full) {
  std::string hex;
  for (char c : full)
    if (c != ':') hex += c;
  std::string out;
  for (auto it = hex.rbegin(); it != hex.rend(); ++it) {
    if (!out.empty()) out += '.';
    out += *it;
  }
  return out;
}

using TempDir = fastrbl::testing::TempDir;

/// Loads zone specs with default options; null (and the reason on stderr) on failure.
inline std::shared_ptr<const zones::Snapshot> load(const std::vector<std::string>& specs) {
  auto r = loader::load_snapshot(specs, loader::LoadOptions{});
  if (!r.is_ok()) {
    std::fprintf(stderr, "load failed: %.*s\n", static_cast<int>(r.status().message().size()),
                 r.status().message().data());
    return nullptr;
  }
  return r.value();
}

inline std::string replace_dir(std::string spec, const std::string& dir) {
  for (std::size_t pos; (pos = spec.find("@DIR@")) != std::string::npos;) spec.replace(pos, 5, dir);
  return spec;
}

}  // namespace fastrbl::test
