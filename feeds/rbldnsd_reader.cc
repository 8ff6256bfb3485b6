// rbldnsd data files of the dnset, ip4set and ip6 (ip6trie/ip6tset) types, read as feeds:
// every entry line becomes an entry, names are taken as absolute (a data file's names are
// relative to whatever zone serves it), and an entry's value text (or the `:` default of
// the file) becomes Metadata::tag. The address syntax is rbldnsd's own, through
// loader/parse_util.h (the same routines the loader uses); the loader's dataset parsers
// feed zone builders directly, so their line handling is restated here.

#include "feeds/normalise.h"
#include "feeds/read_context.h"
#include "loader/parse_util.h"

#include <utility>

namespace fastrbl::feeds::detail {
namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

/// Splits [first, last] into the fewest CIDR blocks.
std::vector<IpPrefix> range_to_cidrs(std::uint32_t first, std::uint32_t last) {
  std::vector<IpPrefix> out;
  std::uint64_t cur = first;
  const std::uint64_t end = static_cast<std::uint64_t>(last) + 1;
  while (cur < end) {
    int bits = 32;
    // Grow the block while it stays aligned and inside the range.
    while (bits > 0) {
      const std::uint64_t size = std::uint64_t{1} << (32 - (bits - 1));
      if (cur % size != 0 || cur + size > end) break;
      --bits;
    }
    IpPrefix p;
    const auto a = static_cast<std::uint32_t>(cur);
    p.addr[0] = static_cast<std::uint8_t>(a >> 24);
    p.addr[1] = static_cast<std::uint8_t>(a >> 16);
    p.addr[2] = static_cast<std::uint8_t>(a >> 8);
    p.addr[3] = static_cast<std::uint8_t>(a);
    p.bits = bits;
    out.push_back(p);
    cur += std::uint64_t{1} << (32 - bits);
  }
  return out;
}

class RbldnsdReader final : public Reader {
 public:
  RbldnsdReader(const ReadOptions& options, Format format) : options_(options), format_(format) {}

  ReadResult read(std::string_view data, std::string_view file_name) const override {
    ReadContext ctx(file_name, options_);
    std::string default_value;  // the `:` line in force (rbldnsd: to the end of the file)
    for_each_line(data, [&](std::size_t lineno, std::string_view line) {
      ctx.set_line(lineno);
      if (line.empty() || line[0] == '#' || line[0] == ';') return;
      if (line[0] == '$') {
        ctx.note("special " + quote(line.substr(0, line.find_first_of(" \t"))) +
                 ": zone settings are not imported from feeds");
        return;
      }
      if (line[0] == ':') {
        default_value = std::string(line);
        return;
      }
      const bool excluded = line[0] == '!';
      std::string_view s = excluded ? trim(line.substr(1)) : line;
      switch (format_) {
        case Format::kDnset:
          dnset_line(ctx, s, excluded, default_value);
          break;
        case Format::kIp4set:
          ip4_line(ctx, s, excluded, default_value);
          break;
        default:
          ip6_line(ctx, s, excluded, default_value);
          break;
      }
    });
    return ctx.take();
  }

 private:
  static std::string value_of(std::string_view rest, const std::string& default_value) {
    rest = trim(rest);
    if (rest.empty() || rest[0] == '#') return default_value;
    return std::string(rest);
  }

  void dnset_line(ReadContext& ctx, std::string_view s, bool excluded, const std::string& def) const {
    std::size_t end = 0;
    while (end < s.size() && !is_blank(s[end])) ++end;
    std::string_view token = s.substr(0, end);
    DomainForm form = DomainForm::kExact;
    if (token.substr(0, 2) == "*.") {
      form = DomainForm::kWildcard;
      token.remove_prefix(2);
    } else if (!token.empty() && token[0] == '.') {
      form = DomainForm::kSuffix;
      token.remove_prefix(1);
    }
    auto name = normalise_domain(token);
    if (!name.is_ok()) {
      ctx.error("invalid domain name: " + std::string(name.status().message()));
      return;
    }
    DomainEntry d;
    d.name = std::move(name).value();
    d.form = form;
    d.excluded = excluded;
    d.meta = ctx.meta();
    if (!excluded) d.meta.tag = value_of(s.substr(end), def);
    ctx.add(std::move(d));
  }

  void ip4_line(ReadContext& ctx, std::string_view s, bool excluded, const std::string& def) const {
    auto range = loader::parse_ip4_range(s);
    if (!range || range->bits == 0 ||
        (range->end < s.size() && !is_blank(s[range->end]) && s[range->end] != ':' && s[range->end] != '#' &&
         s[range->end] != ';')) {
      ctx.error("invalid address " + quote(s.substr(0, s.find_first_of(" \t"))));
      return;
    }
    std::uint32_t first = range->first;
    const std::uint32_t mask = loader::ip4_mask(range->bits);
    if ((first & ~mask) != 0) {
      if (options_.host_bits == HostBits::kReject) {
        ctx.error("invalid range (non-zero host part) " + quote(s.substr(0, range->end)));
        return;
      }
      first &= mask;
    }
    const std::uint32_t last = range->bits == 32 ? range->last : (first | ~mask);
    std::vector<IpEntry> out;
    Metadata meta = ctx.meta();
    if (!excluded) meta.tag = value_of(s.substr(range->end), def);
    for (const IpPrefix& p : range_to_cidrs(first, last)) {
      IpEntry e;
      e.prefix = p;
      e.excluded = excluded;
      e.meta = meta;
      out.push_back(std::move(e));
    }
    ctx.add({}, std::move(out));
  }

  void ip6_line(ReadContext& ctx, std::string_view s, bool excluded, const std::string& def) const {
    auto p = loader::parse_ip6_cidr(s);
    if (!p || (p->end < s.size() && !is_blank(s[p->end]) && s[p->end] != ':' && s[p->end] != '#')) {
      ctx.error("invalid address " + quote(s.substr(0, s.find_first_of(" \t"))));
      return;
    }
    std::array<std::uint8_t, 16> addr = p->addr;
    if (loader::ip6_host_bits(addr, p->bits)) {
      if (options_.host_bits == HostBits::kReject) {
        ctx.error("invalid range (non-zero host part) " + quote(s.substr(0, p->end)));
        return;
      }
      loader::ip6_mask(addr, p->bits);
    }
    IpEntry e;
    e.prefix.v6 = true;
    e.prefix.addr = addr;
    e.prefix.bits = p->bits;
    e.excluded = excluded;
    e.meta = ctx.meta();
    if (!excluded) e.meta.tag = value_of(s.substr(p->end), def);
    ctx.add(std::move(e));
  }

  ReadOptions options_;
  Format format_;
};

}  // namespace

std::unique_ptr<Reader> make_rbldnsd_reader(const ReadOptions& options, Format format) {
  return std::make_unique<RbldnsdReader>(options, format);
}

}  // namespace fastrbl::feeds::detail
