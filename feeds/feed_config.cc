#include "feeds/feed_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>
#include <toml++/toml.h>
#include <utility>

namespace fastrbl::feeds {
namespace {

// A validation failure at a line of the config: thrown inside the loader only, caught in
// load_feed_config() and turned into a Status.
struct ConfigError {
  std::size_t line;
  std::string message;
};

std::size_t line_of(const toml::node& n) { return n.source().begin.line; }

[[noreturn]] void fail_at(const toml::node& n, std::string message) {
  throw ConfigError{line_of(n), std::move(message)};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string zone_key(std::string_view zone) {
  std::string z = lower(zone);
  if (!z.empty() && z.back() == '.') z.pop_back();
  return z;
}

// The keys one table may have: anything else is an error, so that a typo is not ignored.
void check_keys(const toml::table& t, std::string_view what, const std::set<std::string_view>& allowed) {
  for (const auto& [k, v] : t)
    if (allowed.count(k.str()) == 0)
      fail_at(v, "unknown key `" + std::string(k.str()) + "' in " + std::string(what));
}

std::string get_string(const toml::table& t, std::string_view key, const toml::node& where, bool required,
                       std::string def = {}) {
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    if (required) fail_at(where, "missing `" + std::string(key) + "'");
    return def;
  }
  const auto* s = n->as_string();
  if (s == nullptr) fail_at(*n, "`" + std::string(key) + "' must be a string");
  return s->get();
}

bool get_bool(const toml::table& t, std::string_view key, bool def) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return def;
  const auto* b = n->as_boolean();
  if (b == nullptr) fail_at(*n, "`" + std::string(key) + "' must be true or false");
  return b->get();
}

double get_fraction(const toml::table& t, std::string_view key, double def) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return def;
  double v = 0;
  if (const auto* f = n->as_floating_point())
    v = f->get();
  else if (const auto* i = n->as_integer())
    v = static_cast<double>(i->get());
  else
    fail_at(*n, "`" + std::string(key) + "' must be a number between 0 and 1");
  if (!(v >= 0.0 && v <= 1.0)) fail_at(*n, "`" + std::string(key) + "' must be between 0 and 1");
  return v;
}

std::int64_t get_integer(const toml::table& t, std::string_view key, std::int64_t def, std::int64_t min,
                         std::int64_t max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return def;
  const auto* i = n->as_integer();
  if (i == nullptr || i->get() < min || i->get() > max)
    fail_at(*n, "`" + std::string(key) + "' must be an integer from " + std::to_string(min) + " to " +
                    std::to_string(max));
  return i->get();
}

std::int64_t get_duration(const toml::table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return 0;
  if (const auto* i = n->as_integer()) {
    if (i->get() < 0) fail_at(*n, "`" + std::string(key) + "' must not be negative");
    return i->get();
  }
  const auto* s = n->as_string();
  if (s == nullptr) fail_at(*n, "`" + std::string(key) + "' must be a duration such as \"7d\"");
  auto d = parse_duration(s->get());
  if (!d)
    fail_at(*n, "invalid duration `" + s->get() + "' for `" + std::string(key) + "' (NUMBER[s|m|h|d|w])");
  return *d;
}

std::string absolute(const std::string& base, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (std::filesystem::path(base) / p).lexically_normal().string();
}

bool is_url(std::string_view s) {
  return s.starts_with("http://") || s.starts_with("https://") || s.starts_with("file://");
}

std::optional<ListingScope> scope_from_name(std::string_view s) {
  if (s == "tld") return ListingScope::kTld;
  if (s == "registrable-domain") return ListingScope::kRegistrableDomain;
  if (s == "host") return ListingScope::kHost;
  if (s == "host-and-subdomains") return ListingScope::kHostAndSubdomains;
  if (s == "subdomains") return ListingScope::kSubdomains;
  return std::nullopt;
}

// The tables of `key`: an array of tables ([[dataset]]) or a table of tables ([dataset.NAME],
// whose name comes from the key).
std::vector<std::pair<std::string, const toml::table*>> sections(const toml::table& root,
                                                                 std::string_view key) {
  std::vector<std::pair<std::string, const toml::table*>> out;
  const toml::node* n = root.get(key);
  if (n == nullptr) return out;
  if (const auto* arr = n->as_array()) {
    for (const toml::node& e : *arr) {
      const auto* t = e.as_table();
      if (t == nullptr)
        fail_at(e, "`" + std::string(key) + "' entries must be tables ([[" + std::string(key) + "]])");
      out.emplace_back(std::string(), t);
    }
  } else if (const auto* t = n->as_table()) {
    for (const auto& [name, v] : *t) {
      const auto* sub = v.as_table();
      if (sub == nullptr)
        fail_at(v, "`" + std::string(key) + "." + std::string(name.str()) + "' must be a table");
      out.emplace_back(std::string(name.str()), sub);
    }
  } else {
    fail_at(*n, "`" + std::string(key) + "' must be [[" + std::string(key) + "]] tables");
  }
  return out;
}

void check_name(const toml::node& where, const std::string& name, std::string_view what) {
  if (name.empty()) fail_at(where, std::string(what) + " name is empty");
  if (name.size() > 64)
    fail_at(where, std::string(what) + " name `" + name + "' is longer than 64 characters");
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.'))
      fail_at(where,
              std::string(what) + " name `" + name + "' may only use letters, digits, `-', `_' and `.'");
}

DatasetDef parse_dataset(const std::string& key_name, const toml::table& t, const std::string& out_base) {
  check_keys(t, "[[dataset]]",
             {"name", "type", "zone", "output", "value", "txt", "test_points", "soa", "ns", "members"});
  DatasetDef d;
  d.line = line_of(t);
  d.name = key_name.empty() ? get_string(t, "name", t, true) : get_string(t, "name", t, false, key_name);
  check_name(t, d.name, "dataset");
  const std::string type = get_string(t, "type", t, true);
  if (type == "dnset")
    d.kind = DatasetKind::kDnset;
  else if (type == "ip4trie")
    d.kind = DatasetKind::kIp4trie;
  else if (type == "ip6trie")
    d.kind = DatasetKind::kIp6trie;
  else
    fail_at(*t.get("type"), "dataset " + d.name + ": unknown type `" + type + "' (dnset, ip4trie, ip6trie)");
  d.zone = zone_key(get_string(t, "zone", t, true));
  if (auto z = normalise_domain(d.zone); !z.is_ok())
    fail_at(*t.get("zone"), "dataset " + d.name + ": invalid zone: " + std::string(z.status().message()));
  else
    d.zone = z.value();
  const std::string out = get_string(t, "output", t, true);
  d.output = absolute(out_base, out);
  d.value = get_string(t, "value", t, false, "127.0.0.2");
  d.txt = get_string(t, "txt", t, false);
  d.test_points = get_bool(t, "test_points", true);
  d.soa = get_string(t, "soa", t, false);
  if (const toml::node* ns = t.get("ns")) {
    if (const auto* s = ns->as_string()) {
      d.ns = s->get();
    } else if (const auto* arr = ns->as_array()) {
      for (const toml::node& e : *arr) {
        const auto* s2 = e.as_string();
        if (s2 == nullptr) fail_at(e, "`ns' entries must be strings");
        d.ns += (d.ns.empty() ? "" : " ") + s2->get();
      }
    } else {
      fail_at(*ns, "`ns' must be a string or an array of strings");
    }
  }
  if (const toml::node* m = t.get("members")) {
    const auto* arr = m->as_array();
    if (arr == nullptr || arr->empty())
      fail_at(*m, "`members' must be a non-empty array of {dataset, bit} tables");
    for (const toml::node& e : *arr) {
      const auto* mt = e.as_table();
      if (mt == nullptr) fail_at(e, "`members' entries must be tables: { dataset = \"...\", bit = 2 }");
      check_keys(*mt, "a multi member", {"dataset", "bit"});
      MultiMember mm;
      mm.dataset = get_string(*mt, "dataset", e, true);
      const std::int64_t bit = get_integer(*mt, "bit", 0, 2, 254);
      if (mt->get("bit") == nullptr) fail_at(e, "missing `bit'");
      if ((bit & (bit - 1)) != 0) fail_at(*mt->get("bit"), "`bit' must be a power of two (2, 4, ... 128)");
      mm.bit = static_cast<std::uint32_t>(bit);
      d.members.push_back(std::move(mm));
    }
  }
  return d;
}

FeedDef parse_feed(const std::string& key_name, const toml::table& t, const std::string& base) {
  check_keys(t, "[[feed]]",
             {"name",
              "dataset",
              "source",
              "url",
              "fallback",
              "format",
              "scope",
              "psl_sections",
              "require_known_tld",
              "value",
              "txt",
              "max_shrink",
              "max_bad",
              "expire_after",
              "timeout",
              "csv_column",
              "csv_delimiter",
              "csv_header",
              "csv_tag_column",
              "provider",
              "rpz_origin",
              "host_bits",
              "default_form"});
  FeedDef f;
  f.line = line_of(t);
  f.name = key_name.empty() ? get_string(t, "name", t, true) : get_string(t, "name", t, false, key_name);
  check_name(t, f.name, "feed");
  const toml::node* ds = t.get("dataset");
  if (ds == nullptr) fail_at(t, "feed " + f.name + ": missing `dataset'");
  if (const auto* s = ds->as_string()) {
    f.datasets.push_back(s->get());
  } else if (const auto* arr = ds->as_array()) {
    for (const toml::node& e : *arr) {
      const auto* s2 = e.as_string();
      if (s2 == nullptr) fail_at(e, "`dataset' entries must be strings");
      f.datasets.push_back(s2->get());
    }
  }
  if (f.datasets.empty())
    fail_at(*ds, "feed " + f.name + ": `dataset' must name a dataset or a list of them");
  // `source` is the file or URL; `url` + `fallback` say the same with a live URL and a local copy.
  std::string source = get_string(t, "source", t, false);
  const std::string url = get_string(t, "url", t, false);
  std::string fallback = get_string(t, "fallback", t, false);
  if (!url.empty()) {
    if (!source.empty() && fallback.empty())
      fallback = source;
    else if (!source.empty())
      fail_at(t, "feed " + f.name + ": give `url' with `fallback' (or `source'), not all three");
    source = url;
    if (!is_url(url))
      fail_at(*t.get("url"), "feed " + f.name + ": `url' must be http://, https:// or file://");
  }
  if (source.empty()) fail_at(t, "feed " + f.name + ": missing `source' (a file or an http(s) URL)");
  f.source = is_url(source) ? source : absolute(base, source);
  if (source.starts_with("file://") && source.size() > 7 && source[7] != '/')
    fail_at(t, "feed " + f.name + ": a file:// URL must be absolute (file:///path)");
  if (!fallback.empty()) {
    if (fallback.starts_with("file://")) fallback = fallback.substr(7);
    f.fallback = absolute(base, fallback);
  }
  const std::string format = get_string(t, "format", t, true);
  const auto fmt = format_from_name(format);
  if (!fmt) fail_at(*t.get("format"), "feed " + f.name + ": unknown format `" + format + "'");
  f.format = *fmt;
  if (const toml::node* sc = t.get("scope")) {
    const auto* s = sc->as_string();
    const auto scope = s == nullptr ? std::nullopt : scope_from_name(s->get());
    if (s == nullptr || (!scope && s->get() != "as-written"))
      fail_at(*sc,
              "feed " + f.name +
                  ": `scope' must be one of as-written, tld, registrable-domain, host, host-and-subdomains, "
                  "subdomains");
    if (scope) {
      ListingPolicy p;
      p.scope = *scope;
      const std::string sections_name = get_string(t, "psl_sections", t, false, "icann-and-private");
      if (sections_name == "icann")
        p.sections = PslSections::kIcann;
      else if (sections_name == "icann-and-private")
        p.sections = PslSections::kIcannAndPrivate;
      else
        fail_at(*t.get("psl_sections"), "`psl_sections' must be icann or icann-and-private");
      p.require_known_tld = get_bool(t, "require_known_tld", true);
      f.listing = p;
    }
  }
  if (const toml::node* df = t.get("default_form")) {
    const auto* s = df->as_string();
    if (s == nullptr || (s->get() != "exact" && s->get() != "wildcard" && s->get() != "suffix"))
      fail_at(*df, "`default_form' must be exact, wildcard or suffix");
    f.read.default_form = s->get() == "exact"      ? DomainForm::kExact
                          : s->get() == "wildcard" ? DomainForm::kWildcard
                                                   : DomainForm::kSuffix;
  }
  f.value = get_string(t, "value", t, false);
  f.txt = get_string(t, "txt", t, false);
  f.max_shrink = get_fraction(t, "max_shrink", 0.5);
  f.max_bad = get_fraction(t, "max_bad", 0.1);
  f.expire_after = get_duration(t, "expire_after");
  f.timeout = static_cast<long>(get_integer(t, "timeout", 60, 1, 3600));
  f.read.csv.column = static_cast<std::size_t>(get_integer(t, "csv_column", 1, 1, 1000));
  f.read.csv.tag_column = static_cast<std::size_t>(get_integer(t, "csv_tag_column", 0, 0, 1000));
  f.read.csv.header = get_bool(t, "csv_header", false);
  const std::string delim = get_string(t, "csv_delimiter", t, false, ",");
  if (delim.size() != 1) fail_at(*t.get("csv_delimiter"), "`csv_delimiter' must be one character");
  f.read.csv.delimiter = delim[0];
  f.read.provider = get_string(t, "provider", t, false);
  f.read.rpz_origin = get_string(t, "rpz_origin", t, false, f.read.rpz_origin);
  const std::string hb = get_string(t, "host_bits", t, false, "reject");
  if (hb == "reject")
    f.read.host_bits = HostBits::kReject;
  else if (hb == "clear")
    f.read.host_bits = HostBits::kClear;
  else
    fail_at(*t.get("host_bits"), "`host_bits' must be reject or clear");
  return f;
}

bool valid_a(const std::string& a) {
  int dots = 0;
  for (char c : a) dots += c == '.';
  unsigned v[4] = {};
  char tail = 0;
  return dots == 3 && std::sscanf(a.c_str(), "%u.%u.%u.%u%c", &v[0], &v[1], &v[2], &v[3], &tail) == 4 &&
         v[0] < 256 && v[1] < 256 && v[2] < 256 && v[3] < 256 && (v[0] | v[1] | v[2] | v[3]) != 0;
}

}  // namespace

std::string_view dataset_kind_name(DatasetKind kind) noexcept {
  switch (kind) {
    case DatasetKind::kDnset:
      return "dnset";
    case DatasetKind::kIp4trie:
      return "ip4trie";
    case DatasetKind::kIp6trie:
      return "ip6trie";
  }
  return "?";
}

std::optional<std::int64_t> parse_duration(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t mult = 1;
  switch (std::tolower(static_cast<unsigned char>(text.back()))) {
    case 's':
      mult = 1;
      break;
    case 'm':
      mult = 60;
      break;
    case 'h':
      mult = 3600;
      break;
    case 'd':
      mult = 86400;
      break;
    case 'w':
      mult = 7 * 86400;
      break;
    default:
      mult = 0;
  }
  if (mult != 0)
    text.remove_suffix(1);
  else
    mult = 1;
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v * mult;
}

const DatasetDef* FeedConfig::dataset(std::string_view name) const noexcept {
  for (const DatasetDef& d : datasets)
    if (d.name == name) return &d;
  return nullptr;
}

const FeedDef* FeedConfig::feed(std::string_view name) const noexcept {
  for (const FeedDef& f : feeds)
    if (f.name == name) return &f;
  return nullptr;
}

const DatasetDef* FeedConfig::dataset_for_zone(std::string_view zone,
                                               std::optional<DatasetKind> kind) const noexcept {
  std::string z;
  try {
    z = zone_key(zone);
  } catch (...) {
    return nullptr;
  }
  for (const DatasetDef& d : datasets)
    if (d.zone == z && (!kind || d.kind == *kind)) return &d;
  return nullptr;
}

std::vector<std::string> FeedConfig::zone_specs() const {
  std::vector<std::string> out;
  for (const DatasetDef& d : datasets)
    out.push_back(d.zone + ":" + std::string(dataset_kind_name(d.kind)) + ":" + d.output);
  return out;
}

core::Result<FeedConfig> load_feed_config(const std::string& path, const std::string& output_dir) {
  FeedConfig cfg;
  std::error_code ec;
  const auto abs = std::filesystem::absolute(path, ec);
  cfg.path = ec ? path : abs.lexically_normal().string();
  cfg.dir = std::filesystem::path(cfg.path).parent_path().string();
  const std::string out_base =
      output_dir.empty() ? cfg.dir : std::filesystem::absolute(output_dir, ec).string();
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (!std::filesystem::exists(path, ec))
      return core::Status::error("cannot read feed config " + path + ": no such file");
    return core::Status::error(path + ":" + std::to_string(e.source().begin.line) + ": " +
                               std::string(e.description()));
  }
  try {
    check_keys(root, "the feed config", {"psl", "dataset", "feed"});
    if (const toml::node* p = root.get("psl")) {
      const auto* s = p->as_string();
      if (s == nullptr) fail_at(*p, "`psl' must be a path");
      cfg.psl = absolute(cfg.dir, s->get());
    }
    for (const auto& [name, t] : sections(root, "dataset")) {
      DatasetDef d = parse_dataset(name, *t, out_base);
      if (cfg.dataset(d.name) != nullptr) fail_at(*t, "dataset " + d.name + " is defined twice");
      if (!valid_a(d.value)) fail_at(*t, "dataset " + d.name + ": invalid A value `" + d.value + "'");
      for (const DatasetDef& o : cfg.datasets) {
        if (o.output == d.output)
          fail_at(*t, "dataset " + d.name + ": output " + d.output + " is also dataset " + o.name + "'s");
        if (o.zone == d.zone && o.kind == d.kind)
          fail_at(*t, "dataset " + d.name + ": zone " + d.zone + " already has a " +
                          std::string(dataset_kind_name(d.kind)) + " dataset (" + o.name + ")");
      }
      cfg.datasets.push_back(std::move(d));
    }
    for (const auto& [name, t] : sections(root, "feed")) {
      FeedDef f = parse_feed(name, *t, cfg.dir);
      if (cfg.feed(f.name) != nullptr) fail_at(*t, "feed " + f.name + " is defined twice");
      if (f.name.starts_with("update:"))
        fail_at(*t, "feed names starting with `update:' are for pushed entries");
      std::set<DatasetKind> kinds;
      for (const std::string& dn : f.datasets) {
        const DatasetDef* d = cfg.dataset(dn);
        if (d == nullptr) fail_at(*t, "feed " + f.name + ": unknown dataset `" + dn + "'");
        if (!d->members.empty())
          fail_at(*t,
                  "feed " + f.name + ": dataset " + dn + " is a multi dataset (it is made from its members)");
        if (!kinds.insert(d->kind).second)
          fail_at(*t, "feed " + f.name + ": two target datasets of type " +
                          std::string(dataset_kind_name(d->kind)));
      }
      if (!f.value.empty() && !valid_a(f.value))
        fail_at(*t, "feed " + f.name + ": invalid A value `" + f.value + "'");
      cfg.feeds.push_back(std::move(f));
    }
    for (const DatasetDef& d : cfg.datasets)
      for (const MultiMember& m : d.members) {
        const DatasetDef* md = cfg.dataset(m.dataset);
        if (md == nullptr)
          throw ConfigError{d.line, "dataset " + d.name + ": unknown member dataset `" + m.dataset + "'"};
        if (md->kind != d.kind)
          throw ConfigError{d.line, "dataset " + d.name + ": member " + m.dataset + " is " +
                                        std::string(dataset_kind_name(md->kind)) + ", not " +
                                        std::string(dataset_kind_name(d.kind))};
        if (!md->members.empty())
          throw ConfigError{d.line,
                            "dataset " + d.name + ": member " + m.dataset + " is itself a multi dataset"};
      }
  } catch (const ConfigError& e) {
    return core::Status::error(path + ":" + std::to_string(e.line) + ": " + e.message);
  }
  return cfg;
}

}  // namespace fastrbl::feeds
