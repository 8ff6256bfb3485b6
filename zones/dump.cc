#include "zones/dump.h"

#include "zones/snapshot.h"
#include "zones/txt_template.h"
#include "zones/zone.h"

#include <array>
#include <cerrno>
#include <cstring>

namespace fastrbl::zones {
namespace {

// Presentation text of an absolute name, with the trailing dot ("." for the root).
std::string absolute_text(const core::Name& n) { return n.is_root() ? "." : n.to_text() + "."; }

std::string absolute_text(const std::uint8_t* wire) {
  std::array<char, 4 * core::kMaxNameLen> buf{};
  const std::size_t n = core::name_to_text(wire, buf);
  std::string s(buf.data(), n);
  return s == "." ? s : s + ".";
}

bool host_zero(std::uint32_t a, std::uint32_t mask) noexcept { return (a & mask) == 0; }
bool host_zero(const Ip6Key& a, const Ip6Key& mask) noexcept {
  return (a.hi & mask.hi) == 0 && (a.lo & mask.lo) == 0;
}
std::uint32_t with_host(std::uint32_t a, std::uint32_t mask) noexcept { return a | mask; }
Ip6Key with_host(const Ip6Key& a, const Ip6Key& mask) noexcept { return {a.hi | mask.hi, a.lo | mask.lo}; }

// Cuts [lo, hi] into the fewest blocks whose prefix length is a multiple of `step` and at
// least `min_bits`, in address order; calls fn(first, bits) for each.
template <class A, class F>
void for_each_block(A lo, A hi, int min_bits, int step, F&& fn) {
  using Traits = AddrTraits<A>;
  A cur = lo;
  for (;;) {
    int bits = min_bits;
    A last{};
    for (;; bits += step) {
      const A mask = Traits::last(A{}, bits);
      last = with_host(cur, mask);
      if (host_zero(cur, mask) && last <= hi) break;
    }
    fn(cur, bits);
    if (!(last < hi) || last == Traits::max()) return;  // never past hi, even on a bad range
    cur = Traits::next(last);
  }
}

void put_octet(std::string& s, unsigned o) { s += std::to_string(o); }

}  // namespace

// ---------------------------------------------------------------------------------------
// Sinks

void FileDumpSink::write(std::string_view text) {
  if (error_ != 0 || text.empty()) return;
  if (std::fwrite(text.data(), 1, text.size(), f_) != text.size()) error_ = errno != 0 ? errno : EIO;
}

core::Status FileDumpSink::finish() {
  if (error_ == 0 && std::fflush(f_) != 0) error_ = errno != 0 ? errno : EIO;
  if (error_ != 0) return core::Status::error(std::string("unable to write dump: ") + std::strerror(error_));
  return core::Status::ok();
}

// ---------------------------------------------------------------------------------------
// DumpWriter

void DumpWriter::put(std::string_view line) {
  line_.assign(line);
  line_ += '\n';
  sink_.write(line_);
}

void DumpWriter::begin_zone(const core::Name& zone) {
  zone_ = zone;
  origin_.clear();
  put("$ORIGIN\t" + absolute_text(zone_));
}

void DumpWriter::set_origin(std::span<const std::uint8_t> relative) {
  if (std::equal(relative.begin(), relative.end(), origin_.begin(), origin_.end())) return;
  origin_.assign(relative.begin(), relative.end());
  std::vector<std::uint8_t> wire(origin_);
  wire.insert(wire.end(), zone_.data(), zone_.data() + zone_.size());
  put("$ORIGIN\t" + absolute_text(wire.data()));
}

void DumpWriter::ttl(std::uint32_t ttl) { put("$TTL " + std::to_string(ttl)); }

void DumpWriter::soa(const SoaData& soa) {
  put("@\t" + std::to_string(soa.ttl) + "\tSOA\t" + absolute_text(soa.mname) + "\t" +
      absolute_text(soa.rname) + "\t(" + std::to_string(soa.serial) + " " + std::to_string(soa.refresh) +
      " " + std::to_string(soa.retry) + " " + std::to_string(soa.expire) + " " + std::to_string(soa.minimum) +
      ")");
}

void DumpWriter::ns(std::string_view owner, std::uint32_t ttl, const core::Name& name) {
  put(std::string(owner) + "\t" + std::to_string(ttl) + "\tNS\t" + absolute_text(name));
}

void DumpWriter::a_txt(std::string_view owner, const Value& v, const TxtVars& vars,
                       std::string_view subject) {
  std::string s(owner);
  s += "\tA\t";
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != 0) s += '.';
    put_octet(s, v.a[i]);
  }
  put(s);
  std::array<char, kMaxTxtLen> buf{};
  const std::size_t n = expand_txt(v.txt, vars, subject, buf);
  if (n != 0) put("\tTXT\t" + quote_txt(std::string_view(buf.data(), n)));
}

void DumpWriter::excluded(std::string_view owner) { put(std::string(owner) + "\tCNAME\texcluded"); }

void DumpWriter::a(std::string_view owner, std::uint32_t ttl, const std::array<std::uint8_t, 4>& a) {
  std::string s(owner);
  s += "\t" + std::to_string(ttl) + "\tA\t";
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != 0) s += '.';
    put_octet(s, a[i]);
  }
  put(s);
}

void DumpWriter::txt(std::string_view owner, std::uint32_t ttl, std::string_view text) {
  put(std::string(owner) + "\t" + std::to_string(ttl) + "\tTXT\t" + quote_txt(text));
}

void DumpWriter::mx(std::string_view owner, std::uint32_t ttl, std::uint16_t pref,
                    const std::uint8_t* exchange) {
  put(std::string(owner) + "\t" + std::to_string(ttl) + "\tMX\t" + std::to_string(pref) + "\t" +
      absolute_text(exchange));
}

std::string quote_txt(std::string_view text) {
  std::string s = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      s += '\\';
      s += c;
    } else if (u < 0x20 || u == 0x7f) {
      s += '\\';
      s += static_cast<char>('0' + u / 100);
      s += static_cast<char>('0' + (u / 10) % 10);
      s += static_cast<char>('0' + u % 10);
    } else {
      s += c;
    }
  }
  s += '"';
  return s;
}

// ---------------------------------------------------------------------------------------
// IP ranges

void dump_ip4_range(DumpWriter& w, std::uint32_t lo, std::uint32_t hi, std::span<const Value* const> values,
                    const TxtVars& vars) {
  for_each_block(lo, hi, 8, 8, [&](std::uint32_t first, int bits) {
    std::string owner = bits == 32 ? "" : "*";
    for (int octet = bits / 8 - 1; octet >= 0; --octet) {
      if (!owner.empty()) owner += '.';
      put_octet(owner, (first >> (24 - 8 * octet)) & 255u);
    }
    std::array<char, 16> buf{};
    const std::string_view subject(buf.data(), format_ip4(first, buf));
    for (const Value* v : values) w.a_txt(owner, *v, vars, subject);
  });
}

std::string ip6_owner(const Ip6Key& addr, unsigned nibbles) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::array<std::uint8_t, 16> b = ip6_bytes(addr);
  std::string owner = nibbles < 32 ? "*" : "";
  for (unsigned i = nibbles; i-- > 0;) {
    if (!owner.empty()) owner += '.';
    owner += kHex[(i % 2 == 0 ? b[i / 2] >> 4 : b[i / 2]) & 15u];
  }
  return owner;
}

void dump_ip6_range(DumpWriter& w, const Ip6Key& lo, const Ip6Key& hi, std::span<const Value* const> values,
                    const TxtVars& vars) {
  for_each_block(lo, hi, 4, 4, [&](const Ip6Key& first, int bits) {
    const std::string owner = ip6_owner(first, static_cast<unsigned>(bits / 4));
    std::array<char, 40> buf{};
    const std::string_view subject(buf.data(), format_ip6(ip6_bytes(first), buf));
    for (const Value* v : values) w.a_txt(owner, *v, vars, subject);
  });
}

// ---------------------------------------------------------------------------------------
// Zones

void dump_zone(const Zone& zone, DumpWriter& w) {
  w.begin_zone(zone.name);
  if (zone.soa) w.soa(*zone.soa);
  for (std::size_t i = 0; i < zone.ns.size(); ++i)
    w.ns(i == 0 && !zone.soa ? "@" : "", zone.ns_ttl, zone.ns[i]);
  for (const auto& ds : zone.datasets) {
    w.ttl(ds->meta().ttl);
    ds->dump(w);
  }
}

void dump_snapshot(const Snapshot& snapshot, std::time_t now, std::string_view version, DumpSink& sink) {
  std::array<char, 64> when{};
  std::tm tm{};
  ::localtime_r(&now, &tm);
  const std::size_t n = std::strftime(when.data(), when.size(), "%a %b %e %H:%M:%S %Y", &tm);
  std::string head = "; zone dump made " + std::string(when.data(), n) + "\n; " + std::string(version) + "\n";
  sink.write(head);
  DumpWriter w(sink);
  for (const Zone& z : snapshot.zones()) dump_zone(z, w);
}

}  // namespace fastrbl::zones
