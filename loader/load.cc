#include "loader/load.h"

#include "core/dns.h"
#include "core/log.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "loader/acl_parser.h"
#include "loader/combined_parser.h"
#include "loader/dnset_parser.h"
#include "loader/generic_parser.h"
#include "loader/ip4set_parser.h"
#include "loader/ip4trie_parser.h"
#include "loader/ip4tset_parser.h"
#include "loader/ip6_parser.h"
#include "zones/answer_sink.h"
#include "zones/query_key.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>
#include <utility>

namespace fastrbl::loader {
namespace {

constexpr std::size_t kMaxNs = 32;

std::string cut(std::string_view s, std::size_t n) { return std::string(s.substr(0, n)); }

core::Status type_error(std::string_view type) {
  return core::Status::error("unknown dataset type `" + cut(type, 60) + "'");
}

bool is_supported(std::string_view type) {
  if (type == "acl") return true;
  if (type == "ip4tset" || type == "ip4trie" || type == "ip6tset" || type == "ip6trie") return true;
  if (type == "dnset" || type == "generic" || type == "combined") return true;
  return type == "ip4set";
}

// The most specific zone whose name is a suffix of `name` (rbldnsd's zone order).
const zones::Zone* find_zone(const std::vector<zones::Zone>& zones, const core::Name& name) {
  const zones::Zone* best = nullptr;
  for (const zones::Zone& z : zones)
    if (name.is_subdomain_of(z.name) && (best == nullptr || z.name.label_count() > best->name.label_count()))
      best = &z;
  return best;
}

// Looks `ns` up as an A query against `zone`'s datasets, as rbldnsd does at load time.
void find_glue(const zones::Zone& zone, const core::Name& ns, std::size_t ns_index,
               std::vector<zones::Glue>* out) {
  std::vector<std::uint8_t> query(core::kHeaderSize, 0);
  query[5] = 1;  // QDCOUNT
  const core::Name lname = ns.lowered();
  query.insert(query.end(), lname.data(), lname.data() + lname.size());
  query.insert(query.end(), {0, core::rrtype::kA, 0, core::rrclass::kIN});
  core::ParsedQuery q;
  if (core::parse_query(query, &q) != core::ParseResult::kOk) return;

  zones::QueryKey key;
  zones::prepare_query_key(q, zone, &key);
  std::vector<std::uint8_t> buf(core::kMaxTcpMessage);
  core::ResponseWriter w(buf);
  w.begin(query, q.question_end, buf.size());
  zones::AnswerSink sink(w, core::rrtype::kA);
  for (const auto& ds : zone.datasets) ds->query(key, sink);

  std::size_t pos = q.question_end;
  for (std::uint16_t i = 0; i < w.count(core::Section::kAnswer); ++i) {
    pos += 2;  // answer owners are pointers to the question
    const std::uint16_t type = core::load_u16(&buf[pos]);
    const std::uint32_t ttl = core::load_u32(&buf[pos + 4]);
    const std::uint16_t rdlen = core::load_u16(&buf[pos + 8]);
    if (type == core::rrtype::kA && rdlen == 4) {
      zones::Glue g;
      g.ns_index = ns_index;
      std::copy(&buf[pos + 10], &buf[pos + 14], g.a.begin());
      g.ttl = ttl;
      out->push_back(g);
    }
    pos += 10u + rdlen;
  }
}

}  // namespace

core::Result<ZoneSpec> parse_zone_spec(std::string_view spec) {
  const std::size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon >= core::kMaxNameLen)
    return core::Status::error("invalid zone spec `" + cut(spec, 60) + "'");
  const std::string_view name_text = spec.substr(0, colon);
  auto name = core::Name::from_text(name_text);
  if (!name.is_ok()) return core::Status::error("invalid domain name `" + cut(name_text, 80) + "'");

  ZoneSpec z;
  z.zone = name.value().lowered();
  const std::string_view data = spec.substr(colon + 1);
  const std::size_t colon2 = data.find(':');
  if (colon2 == std::string_view::npos)
    return core::Status::error("invalid zone data specification `" + cut(data, 60) + "'");
  z.type = std::string(data.substr(0, colon2));
  z.files_spec = std::string(data.substr(colon2 + 1));
  if (!is_supported(z.type)) return type_error(z.type);
  std::size_t pos = 0;
  const std::string& f = z.files_spec;
  while (pos < f.size()) {
    const std::size_t next = f.find_first_of(",:", pos);
    const std::size_t end = next == std::string::npos ? f.size() : next;
    if (end > pos) z.files.emplace_back(f.substr(pos, end - pos));
    pos = end + 1;
  }
  if (z.files.empty()) return core::Status::error("missing filenames for " + z.type);
  // An empty zone name is a global ACL in rbldnsd, and an error for any other type.
  if (z.zone.is_root() && z.type != "acl")
    return core::Status::error("missing domain name in `" + cut(spec, 60) + "'");
  return z;
}

core::Status check_acl_specs(const std::vector<ZoneSpec>& specs) {
  bool global = false;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].type != "acl") continue;
    if (specs[i].zone.is_root()) {
      if (global) return core::Status::error("global acl specified more than once");
      global = true;
      continue;
    }
    for (std::size_t j = 0; j < i; ++j)
      if (specs[j].type == "acl" && specs[j].zone == specs[i].zone)
        return core::Status::error("repeated ACL definition for zone `" + cut(specs[i].zone.to_text(), 80) +
                                   "'");
  }
  for (const ZoneSpec& z : specs) {
    if (z.type != "acl" || z.zone.is_root()) continue;
    const bool data = std::any_of(specs.begin(), specs.end(),
                                  [&](const ZoneSpec& o) { return o.type != "acl" && o.zone == z.zone; });
    if (!data) return core::Status::error("missing data for zone `" + cut(z.zone.to_text(), 80) + "'");
  }
  return core::Status::ok();
}

core::Result<std::unique_ptr<DatasetParser>> make_parser(std::string_view type) {
  if (type == "ip4set") return std::unique_ptr<DatasetParser>(std::make_unique<Ip4SetParser>());
  if (type == "acl") return std::unique_ptr<DatasetParser>(std::make_unique<AclParser>());
  if (type == "ip4tset") return std::unique_ptr<DatasetParser>(std::make_unique<Ip4TSetParser>());
  if (type == "ip4trie") return std::unique_ptr<DatasetParser>(std::make_unique<Ip4TrieParser>());
  if (type == "ip6tset") return std::unique_ptr<DatasetParser>(std::make_unique<Ip6TSetParser>());
  if (type == "ip6trie") return std::unique_ptr<DatasetParser>(std::make_unique<Ip6TrieParser>());
  if (type == "dnset") return std::unique_ptr<DatasetParser>(std::make_unique<DnSetParser>());
  if (type == "generic") return std::unique_ptr<DatasetParser>(std::make_unique<GenericParser>());
  if (type == "combined") return std::unique_ptr<DatasetParser>(std::make_unique<CombinedParser>());
  return type_error(type);
}

core::Result<LoadedDataset> load_dataset(std::string_view type, std::string_view files_spec,
                                         const std::vector<std::string>& files, const LoadOptions& options) {
  auto parser = make_parser(type);
  if (!parser.is_ok()) return parser.status();
  return read_dataset(type, files_spec, files, *parser.value(), options);
}

std::shared_ptr<const zones::Snapshot> build_snapshot(
    const std::vector<ZoneSpec>& specs, const std::vector<std::shared_ptr<const zones::Dataset>>& datasets,
    const LoadOptions& options, std::uint64_t generation) {
  std::vector<zones::Zone> zones;
  std::vector<bool> unloaded;  // per zone: one of its datasets has no data
  bool global_acl_unloaded = false;
  std::shared_ptr<const zones::Acl> global_acl;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    // An acl is matched on the client: it goes beside the zone's datasets, or is global.
    const bool is_acl = specs[i].type == "acl";
    std::shared_ptr<const zones::Acl> acl;
    if (is_acl) acl = std::dynamic_pointer_cast<const zones::Acl>(datasets[i]);
    if (is_acl && specs[i].zone.is_root()) {
      global_acl = acl;
      global_acl_unloaded = datasets[i] == nullptr;
      continue;
    }
    auto it = std::find_if(zones.begin(), zones.end(),
                           [&](const zones::Zone& z) { return z.name == specs[i].zone; });
    if (it == zones.end()) {
      zones.emplace_back();
      zones.back().name = specs[i].zone;
      unloaded.push_back(false);
      it = zones.end() - 1;
    }
    if (datasets[i] == nullptr) {
      unloaded[static_cast<std::size_t>(it - zones.begin())] = true;
      continue;
    }
    if (acl) {
      it->acl = acl;
      continue;
    }
    it->datasets.push_back(datasets[i]);
  }

  const std::time_t now = options.now != 0 ? options.now : std::time(nullptr);
  for (std::size_t zi = 0; zi < zones.size(); ++zi) {
    zones::Zone& z = zones[zi];
    const std::string zname = z.name.to_text();
    // Without all its data (or with a global acl that never loaded) a zone answers
    // SERVFAIL rather than answer from part of its data, as rbldnsd.
    if (unloaded[zi] || global_acl_unloaded) {
      z.serviced = false;
      FASTRBL_LOG_WARN("zone %s: not all datasets are loaded, zone will not be serviced", zname.c_str());
      continue;
    }
    const zones::NsData* ns = nullptr;
    std::time_t expires = 0;
    for (const auto& ds : z.datasets) {
      const zones::DatasetMeta& m = ds->meta();
      z.flags |= ds->flags();
      z.stamp = std::max(z.stamp, m.stamp);
      if (!z.soa && m.soa) z.soa = m.soa;
      if (ns == nullptr && m.ns && !m.ns->names.empty()) ns = &*m.ns;
      if (m.expires != 0 && (expires == 0 || m.expires < expires)) expires = m.expires;
    }
    if (z.soa && z.soa->serial == 0) z.soa->serial = static_cast<std::uint32_t>(z.stamp);
    if (ns != nullptr) {
      z.ns_ttl = ns->ttl;
      for (const core::Name& n : ns->names) {
        if (std::any_of(z.ns.begin(), z.ns.end(), [&](const core::Name& x) { return x.equals_ci(n); }))
          continue;
        if (z.ns.size() >= kMaxNs) {
          FASTRBL_LOG_WARN("zone %s: too many NS records specified, only first %zu will be used",
                           zname.c_str(), kMaxNs);
          break;
        }
        z.ns.push_back(n);
      }
    }
    if (expires != 0 && expires <= now) {
      z.serviced = false;
      FASTRBL_LOG_WARN("zone %s: zone data expired, zone will not be serviced", zname.c_str());
    }
  }

  // Glue needs every zone's datasets in place.
  for (std::size_t zi = 0; zi < zones.size(); ++zi) {
    zones::Zone& z = zones[zi];
    if (unloaded[zi] || global_acl_unloaded) continue;
    for (std::size_t i = 0; i < z.ns.size(); ++i) {
      const zones::Zone* target = find_zone(zones, z.ns[i]);
      if (target == nullptr) continue;
      const std::size_t before = z.glue.size();
      find_glue(*target, z.ns[i], i, &z.glue);
      if (z.glue.size() == before)
        FASTRBL_LOG_WARN("zone %s: no glue record(s) for %s NS found", z.name.to_text().c_str(),
                         cut(z.ns[i].lowered().to_text(), 60).c_str());
    }
  }
  return std::make_shared<const zones::Snapshot>(std::move(zones), generation, std::move(global_acl));
}

core::Result<std::shared_ptr<const zones::Snapshot>> load_snapshot(const std::vector<std::string>& specs,
                                                                   const LoadOptions& options,
                                                                   std::uint64_t generation) {
  std::vector<ZoneSpec> parsed;
  parsed.reserve(specs.size());
  for (const std::string& s : specs) {
    auto z = parse_zone_spec(s);
    if (!z.is_ok()) return z.status();
    parsed.push_back(std::move(z.value()));
  }
  core::Status acls = check_acl_specs(parsed);
  if (!acls.is_ok()) return acls;
  // One dataset per distinct (type, file list as written), loaded in order of first use.
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const zones::Dataset>> loaded;
  std::vector<std::shared_ptr<const zones::Dataset>> datasets;
  datasets.reserve(parsed.size());
  for (const ZoneSpec& z : parsed) {
    auto key = std::make_pair(z.type, z.files_spec);
    auto it = loaded.find(key);
    if (it == loaded.end()) {
      auto ds = load_dataset(z.type, z.files_spec, z.files, options);
      if (!ds.is_ok()) return ds.status();
      it = loaded.emplace(std::move(key), std::move(ds.value().dataset)).first;
    }
    datasets.push_back(it->second);
  }
  return build_snapshot(parsed, datasets, options, generation);
}

}  // namespace fastrbl::loader
