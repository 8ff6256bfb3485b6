#pragma once
// Dumping zones as BIND master-file text, in the shape of rbldnsd's `-d` (compat §2.8).
//
// Each dataset writes its own compiled index through a DumpWriter (Dataset::dump()), so
// the same code serves `fastrbld -d` and any later tool that dumps from another store:
// nothing here knows about the server. The text follows rbldnsd's: per zone `$ORIGIN`,
// the SOA and NS records, `$TTL n` before each dataset, entries as `name<TAB>A<TAB>ip`
// followed by `<TAB>TXT<TAB>"text"` (the TXT expanded as a TXT query would return it),
// exclusions as `name<TAB>CNAME<TAB>excluded`, IP ranges as reversed names and `*.`
// wildcards, combined subzones under their own `$ORIGIN`, generic records with their
// TTLs. Because the indexes resolve rbldnsd's precedence rules when they are built, the
// entries may be listed differently from rbldnsd's raw entries; what holds is that the
// records the dump implies answer every query as the loaded data does (see
// docs/differences.md).
//
// Ownership: a DumpWriter borrows its sink and writes through it synchronously; the
// sinks borrow their string or FILE. Thread safety: one writer per thread; dumping only
// reads the (immutable) datasets.

#include "core/dname.h"
#include "core/status.h"
#include "zones/dataset.h"
#include "zones/prefix_table.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::zones {

class Snapshot;
struct Zone;

/// Where dump text goes.
class DumpSink {
 public:
  virtual ~DumpSink() = default;
  virtual void write(std::string_view text) = 0;
};

/// Appends to a string.
class StringDumpSink final : public DumpSink {
 public:
  explicit StringDumpSink(std::string& out) noexcept : out_(out) {}
  void write(std::string_view text) override { out_.append(text); }

 private:
  std::string& out_;
};

/// Writes to a stdio stream; the first failure is kept and later writes are skipped.
class FileDumpSink final : public DumpSink {
 public:
  explicit FileDumpSink(std::FILE* f) noexcept : f_(f) {}
  void write(std::string_view text) override;
  /// Flushes the stream. Fails with "unable to write dump: <strerror>" if any write or
  /// the flush failed.
  core::Status finish();

 private:
  std::FILE* f_;
  int error_ = 0;
};

/// Formats master-file lines into a DumpSink. Owners are presentation text relative to
/// the current origin (an empty owner continues the previous one, as in master files).
class DumpWriter {
 public:
  explicit DumpWriter(DumpSink& sink) noexcept : sink_(sink) {}

  /// Starts a zone: `$ORIGIN<TAB>zone.`; the zone becomes the base of set_origin().
  void begin_zone(const core::Name& zone);
  /// `$ORIGIN<TAB>rel.zone.` for a combined subzone. `relative`: lowercase wire labels
  /// below the zone without the root byte (empty: the zone itself). Writes nothing when
  /// that is already the origin.
  void set_origin(std::span<const std::uint8_t> relative);

  /// `$TTL n`.
  void ttl(std::uint32_t ttl);
  /// `@<TAB>ttl<TAB>SOA<TAB>mname.<TAB>rname.<TAB>(serial refresh retry expire minimum)`.
  void soa(const SoaData& soa);
  /// `owner<TAB>ttl<TAB>NS<TAB>name.`.
  void ns(std::string_view owner, std::uint32_t ttl, const core::Name& name);

  /// An entry with value `v`: `owner<TAB>A<TAB>a.b.c.d`, then `<TAB>TXT<TAB>"..."` with the
  /// TXT template expanded for `subject` as a query would (no line when it is empty).
  void a_txt(std::string_view owner, const Value& v, const TxtVars& vars, std::string_view subject);
  /// `owner<TAB>CNAME<TAB>excluded`.
  void excluded(std::string_view owner);

  /// Generic records, each with its own TTL.
  void a(std::string_view owner, std::uint32_t ttl, const std::array<std::uint8_t, 4>& a);
  void txt(std::string_view owner, std::uint32_t ttl, std::string_view text);
  /// `exchange`: an uncompressed absolute wire name.
  void mx(std::string_view owner, std::uint32_t ttl, std::uint16_t pref, const std::uint8_t* exchange);

 private:
  void put(std::string_view line);

  DumpSink& sink_;
  core::Name zone_;
  std::vector<std::uint8_t> origin_;
  std::string line_;
};

/// `"text"` with `"` and `\` escaped by a backslash and control bytes (below 0x20, 0x7f)
/// as `\DDD`, so that a master-file parser reads back the same bytes.
std::string quote_txt(std::string_view text);

/// Writes the listed IPv4 range [lo, hi] as the fewest octet-aligned blocks, in address
/// order: a single address as `d.c.b.a`, a /24, /16 or /8 as `*.c.b.a`, `*.b.a`, `*.a`.
/// Each block gets one a_txt() line per value, with the block's first address as the
/// TXT subject (as rbldnsd's dump). Requires: lo <= hi.
void dump_ip4_range(DumpWriter& w, std::uint32_t lo, std::uint32_t hi, std::span<const Value* const> values,
                    const TxtVars& vars);
/// The same for IPv6, in nibble-aligned blocks: a single address as 32 reversed nibbles,
/// a /4 to /124 (a multiple of 4) as `*.` and its nibbles. Requires: lo <= hi.
void dump_ip6_range(DumpWriter& w, const Ip6Key& lo, const Ip6Key& hi, std::span<const Value* const> values,
                    const TxtVars& vars);
/// The owner name of one IPv6 address (32 reversed nibbles) or, with `nibbles` < 32, of
/// the wildcard over its first `nibbles` nibbles.
std::string ip6_owner(const Ip6Key& addr, unsigned nibbles);

/// One zone: `$ORIGIN`, SOA, NS, then `$TTL` and the entries of each dataset in order.
/// The zone's acl is not dumped (it has no records; rbldnsd prints nothing for it).
void dump_zone(const Zone& zone, DumpWriter& w);

/// The whole dump: `; zone dump made <ctime(now)>`, `; <version>`, then every zone in
/// the snapshot's order (more specific zones first, as rbldnsd).
void dump_snapshot(const Snapshot& snapshot, std::time_t now, std::string_view version, DumpSink& sink);

}  // namespace fastrbl::zones
