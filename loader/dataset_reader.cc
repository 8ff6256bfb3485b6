#include "loader/dataset_reader.h"

#include "core/dname.h"
#include "core/log.h"
#include "loader/parse_util.h"

#include <array>
#include <cstdio>
#include <optional>

namespace fastrbl::loader {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// rbldnsd firstword_lc: `line` starts with `word` (any case) followed by a blank; returns
// the text after the blanks.
std::optional<std::string_view> first_word(std::string_view line, std::string_view word) {
  if (line.size() <= word.size()) return std::nullopt;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(line[i]) != word[i]) return std::nullopt;
  if (!is_space(line[word.size()])) return std::nullopt;
  return skip_space(line.substr(word.size()));
}

// rbldnsd parse_dn: one blank-delimited word as a domain name; the rest after blanks.
std::optional<Parsed<core::Name>> parse_dn(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && !is_space(s[n])) ++n;
  if (n == 0) return std::nullopt;
  auto name = core::Name::from_text(s.substr(0, n));
  if (!name.is_ok()) return std::nullopt;
  return Parsed<core::Name>{name.value(), skip_space(s.substr(n))};
}

struct SpecialOutcome {
  SpecialResult result = SpecialResult::kOk;
  core::Status fatal;  // set: abort the load
};

SpecialOutcome invalid() { return {SpecialResult::kInvalid, {}}; }

SpecialOutcome special_soa(std::string_view w, ReadState& st) {
  if (st.meta.soa) return {};  // only the first $SOA counts
  const LoadOptions& o = st.options;
  zones::SoaData soa;
  auto ttl = parse_ttl(w, st.meta.ttl, o.min_ttl, o.max_ttl);  // 0: the TTL in force now
  if (!ttl) return invalid();
  auto mname = parse_dn(ttl->rest);
  if (!mname) return invalid();
  auto rname = parse_dn(mname->rest);
  if (!rname) return invalid();
  auto serial = parse_uint32(rname->rest);
  if (!serial) return invalid();
  std::string_view rest = serial->rest;
  std::array<std::uint32_t, 4> t{};
  for (std::uint32_t& v : t) {
    auto p = parse_time(rest);
    if (!p) return invalid();
    v = p->value;
    rest = p->rest;
  }
  if (!rest.empty()) return invalid();
  soa.ttl = ttl->value;
  soa.mname = mname->value;
  soa.rname = rname->value;
  soa.serial = serial->value;
  soa.refresh = t[0];
  soa.retry = t[1];
  soa.expire = t[2];
  soa.minimum = t[3];
  st.meta.soa = soa;
  return {};
}

SpecialOutcome special_ns(std::string_view w, ReadState& st) {
  // Only the first $NS line that named a server counts. As in rbldnsd, names read before
  // a malformed one are kept, and the TTL is only set by a line that parses fully.
  if (st.meta.ns && !st.meta.ns->names.empty()) return {};
  if (!st.meta.ns) st.meta.ns.emplace();
  auto ttl = parse_ttl(w, st.meta.ttl, st.options.min_ttl, st.options.max_ttl);
  if (!ttl) return invalid();
  w = ttl->rest;
  do {
    if (!w.empty() && w[0] == '-') {  // a commented-out server
      std::size_t n = 0;
      while (n < w.size() && !is_space(w[n])) ++n;
      w = skip_space(w.substr(n));
      continue;
    }
    auto dn = parse_dn(w);
    if (!dn) return invalid();
    st.meta.ns->names.push_back(dn->value);
    w = dn->rest;
  } while (!w.empty());
  st.meta.ns->ttl = ttl->value;
  return {};
}

SpecialOutcome special_maxrange4(std::string_view w, ReadState& st) {
  const bool cidr = !w.empty() && w[0] == '/';
  if (cidr) w.remove_prefix(1);
  auto r = parse_uint32(w);
  if (!r || !r->rest.empty() || r->value == 0) return invalid();
  std::uint32_t range = r->value;
  if (cidr) {
    if (range > 32) return invalid();
    range = ~ip4_mask(static_cast<int>(range)) + 1u;
  }
  if (st.max_range4 != 0 && st.max_range4 < range)
    st.diag.warn("ignoring attempt to increase $MAXRANGE4 from %u to %u", st.max_range4, range);
  else
    st.max_range4 = range;
  return {};
}

SpecialOutcome special_timestamp(std::string_view w, ReadState& st) {
  auto stamp = parse_timestamp(w);
  if (!stamp) return invalid();
  std::time_t expires = 0;
  std::string_view rest = stamp->rest;
  if (!rest.empty() && rest[0] == '+') {  // relative to the stamp
    auto t = parse_time(rest.substr(1));
    if (!t || !t->rest.empty()) return invalid();
    if (stamp->value == 0 || t->value == 0) return invalid();
    expires = stamp->value + static_cast<std::time_t>(t->value);
  } else if (!rest.empty()) {
    auto e = parse_timestamp(rest);
    if (!e || !e->rest.empty()) return invalid();
    expires = e->value;
  }
  if (stamp->value != 0 && stamp->value > st.now)
    return {SpecialResult::kOk,
            core::Status::error(st.diag.format("data timestamp is %u sec in the future, aborting loading",
                                               static_cast<unsigned>(stamp->value - st.now)))};
  if (expires != 0 && (st.meta.expires == 0 || st.meta.expires > expires)) st.meta.expires = expires;
  return {};
}

// rbldnsd ds_special. `line` is the text after `$`, `#$`, `;$` or `:$`.
SpecialOutcome special(std::string_view line, ReadState& st, DatasetParser& parser) {
  if (auto w = first_word(line, "soa")) return special_soa(*w, st);
  if (auto w = first_word(line, "ns")) return special_ns(*w, st);
  if (auto w = first_word(line, "nameserver")) return special_ns(*w, st);
  if (auto w = first_word(line, "ttl")) {
    auto ttl = parse_ttl(*w, st.options.default_ttl, st.options.min_ttl, st.options.max_ttl);
    if (!ttl || !ttl->rest.empty()) return invalid();
    st.meta.ttl = ttl->value;
    return {};
  }
  if (auto w = first_word(line, "maxrange4")) return special_maxrange4(*w, st);
  if (line.size() >= 2 && ((line[0] >= '0' && line[0] <= '9') || line[0] == '=') && is_space(line[1])) {
    zones::TxtVars& txt = st.meta.txt;
    const bool base = line[0] == '=';
    const auto n = static_cast<std::size_t>(line[0] - '0');
    if (base ? !txt.base.empty() : txt.defined[n]) return {};  // the first definition wins
    std::string_view text = skip_space(line.substr(2));
    if (text.empty()) return invalid();
    std::string_view kept = parser.pool().intern(text);
    if (base) {
      txt.base = kept;
    } else {
      txt.var[n] = kept;
      txt.defined[n] = true;
    }
    return {};
  }
  if (auto w = first_word(line, "dataset")) {
    auto r = parser.dataset_special(*w, st);
    if (!r.is_ok()) return {SpecialResult::kOk, r.status()};
    return {r.value(), {}};
  }
  if (auto w = first_word(line, "timestamp")) return special_timestamp(*w, st);
  return invalid();
}

bool is_special(std::string_view line) {
  if (line.empty()) return false;
  if (line[0] == '$') return true;
  return line.size() >= 2 && (is_comment(line[0]) || line[0] == ':') && line[1] == '$';
}

// Reads one file into the parser. Returns the file's stamp through *stamp.
core::Status read_file(const std::string& path, ReadState& st, DatasetParser& parser, FileStamp* stamp) {
  st.diag.set_file(path);
  auto opened = DataFile::open(path, st.options.no_gzip);
  if (!opened.is_ok()) return opened.status();
  DataFile& file = *opened.value();
  parser.start_file(st);
  std::string_view line;
  core::Status error;
  for (;;) {
    const DataFile::Read r = file.next(&line, st.diag, &error);
    if (r == DataFile::Read::kError) return error;
    if (r == DataFile::Read::kEnd) break;
    if (is_special(line)) {
      SpecialOutcome out = special(line.substr(line[0] == '$' ? 1 : 2), st, parser);
      if (!out.fatal.is_ok()) return out.fatal;
      if (out.result == SpecialResult::kInvalid) st.diag.warn("invalid or unrecognized special entry");
      continue;
    }
    if (line.empty() || is_comment(line[0])) continue;
    core::Status s = parser.parse_line(line, st);
    if (!s.is_ok()) return s;
  }
  core::Status s = file.finish();
  if (!s.is_ok()) return s;
  *stamp = file.stamp();
  return core::Status::ok();
}

std::string utc_stamp(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d%02d%02d %02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf.data();
}

}  // namespace

core::Result<SpecialResult> DatasetParser::dataset_special(std::string_view /*args*/, ReadState& /*st*/) {
  return SpecialResult::kInvalid;
}

core::Result<LoadedDataset> read_dataset(std::string_view type, std::string_view spec,
                                         const std::vector<std::string>& files, DatasetParser& parser,
                                         const LoadOptions& options) {
  LoadDiagnostics diag{std::string(type), std::string(spec)};
  ReadState st(options, diag);
  st.meta.type = std::string(type);
  st.meta.spec = std::string(spec);
  st.meta.ttl = options.default_ttl;
  st.now = options.now != 0 ? options.now : std::time(nullptr);

  LoadedDataset loaded;
  for (const std::string& path : files) {
    FileStamp stamp;
    core::Status s = read_file(path, st, parser, &stamp);
    if (!s.is_ok()) return s;
    if (stamp.mtime > st.meta.stamp) st.meta.stamp = stamp.mtime;
    loaded.files.push_back(std::move(stamp));
  }
  diag.clear_file();

  const std::time_t stamp = st.meta.stamp;
  auto built = parser.finish(st);  // consumes st.meta
  if (!built.is_ok()) return built.status();
  diag.finish();
  FASTRBL_LOG_INFO("%s %s: %s", diag.dataset_prefix().c_str(), utc_stamp(stamp).c_str(),
                   built.value().stats.c_str());
  loaded.dataset = std::move(built.value().dataset);
  loaded.stats = std::move(built.value().stats);
  return loaded;
}

bool accept_host_part(std::uint32_t* addr, int bits, ReadState& st) {
  const std::uint32_t mask = ip4_mask(bits);
  if (st.options.accept_host_bits) {
    *addr &= mask;
  } else if ((*addr & ~mask) != 0) {
    st.diag.warn("invalid range (non-zero host part)");
    return false;
  }
  return true;
}

bool accept_host_part(std::array<std::uint8_t, 16>* addr, int bits, ReadState& st) {
  if (st.options.accept_host_bits) {
    ip6_mask(*addr, bits);
  } else if (ip6_host_bits(*addr, bits)) {
    st.diag.warn("invalid range (non-zero host part)");
    return false;
  }
  return true;
}

}  // namespace fastrbl::loader
