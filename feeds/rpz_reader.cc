// RPZ zone files (the Response Policy Zone format of BIND, Unbound, Knot Resolver;
// hagezi and Spamhaus publish lists in it), parsed record by record with ldns so that a
// bad record is one bad line and the rest of the zone still reads.
//
// Owners are taken relative to the zone origin (`$ORIGIN`, else ReadOptions::rpz_origin).
// QNAME triggers: `name` lists exactly name, `*.name` lists the names under it. Actions:
// CNAME `.` (NXDOMAIN), CNAME `*.` (NODATA), CNAME `rpz-drop.` and local data (any other
// record, or a CNAME elsewhere) list the name; CNAME `rpz-passthru.` makes it an
// exclusion; CNAME `rpz-tcp-only.` is not used. Response-IP triggers
// (`24.0.2.0.192.rpz-ip`, `zz` for `::` in IPv6) become IP entries; client-IP, NSIP and
// NSDNAME triggers are not used (notes). The apex SOA/NS and the directives are skipped.

#include "feeds/normalise.h"
#include "feeds/read_context.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include <ldns/ldns.h>

namespace fastrbl::feeds::detail {
namespace {

struct RrFree {
  void operator()(ldns_rr* r) const noexcept { ldns_rr_free(r); }
};
struct FileClose {
  void operator()(FILE* f) const noexcept { std::fclose(f); }
};

std::string rdf_text(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  if (s == nullptr) return {};
  std::string out(s);
  std::free(s);
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<std::string_view> split_labels(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const std::size_t dot = s.find('.');
    out.push_back(s.substr(0, dot));
    if (dot == std::string_view::npos) return out;
    s.remove_prefix(dot + 1);
  }
}

/// `24.0.2.0.192` -> 192.0.2.0/24; `48.zz.db8.2001` -> 2001:db8::/48.
core::Result<IpPrefix> parse_rpz_ip(std::string_view trigger, HostBits host_bits) {
  const std::vector<std::string_view> labels = split_labels(trigger);
  if (labels.size() < 2) return core::Status::error("invalid rpz-ip trigger " + quote(trigger));
  const std::string len(labels[0]);
  bool v4 = labels.size() == 5;
  for (std::size_t i = 1; v4 && i < labels.size(); ++i) {
    for (char c : labels[i]) v4 = v4 && c >= '0' && c <= '9';
  }
  // Labels after the length are the address, least significant part first.
  std::vector<std::string_view> parts(labels.rbegin(), labels.rend() - 1);
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) text += v4 ? "." : ":";
    if (v4 || parts[i] != "zz") text += std::string(parts[i]);
  }
  if (!v4 && parts.front() == "zz") text.insert(0, ":");
  if (!v4 && parts.back() == "zz") text += ":";
  if (!v4 && parts.size() == 1 && parts[0] == "zz") text = "::";
  auto p = parse_ip_prefix(text + "/" + len, host_bits);
  if (!p.is_ok()) {
    return core::Status::error("invalid rpz-ip trigger " + quote(trigger) + ": " +
                               std::string(p.status().message()));
  }
  return p;
}

class RpzReader final : public Reader {
 public:
  explicit RpzReader(const ReadOptions& options) : options_(options) {}

  ReadResult read(std::string_view data, std::string_view file_name) const override {
    ReadContext ctx(file_name, options_);
    if (data.empty()) return ctx.take();
    std::string buf(data);
    std::unique_ptr<FILE, FileClose> fp(fmemopen(buf.data(), buf.size(), "r"));
    ldns_rdf* origin = ldns_dname_new_frm_str(options_.rpz_origin.c_str());
    if (fp == nullptr || origin == nullptr) {
      ldns_rdf_deep_free(origin);
      ctx.fatal("cannot read RPZ data (bad origin " + quote(options_.rpz_origin) + "?)");
      return ctx.take();
    }
    ldns_rdf* prev = nullptr;
    std::uint32_t default_ttl = 3600;
    int line_nr = 1;  // the line ldns is on
    while (!std::feof(fp.get())) {
      ldns_rr* raw = nullptr;
      const int before = line_nr;
      const ldns_status st = ldns_rr_new_frm_fp_l(&raw, fp.get(), &default_ttl, &origin, &prev, &line_nr);
      std::unique_ptr<ldns_rr, RrFree> rr(raw);
      // ldns skips comments and blank lines before a record and counts the newline
      // that ends it: the record ends on the line before line_nr, or on line_nr when
      // the data ends without a newline.
      const bool unterminated = std::feof(fp.get()) && data.back() != '\n';
      ctx.set_line(static_cast<std::size_t>(unterminated ? line_nr : line_nr - 1));
      if (origin == nullptr) {
        // ldns dropped the origin (a `$ORIGIN` it could not parse): every relative name
        // after this line would be misread.
        ctx.fatal("invalid $ORIGIN: the rest of the zone cannot be read");
        break;
      }
      if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL || st == LDNS_STATUS_SYNTAX_ORIGIN)
        continue;
      if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
        ctx.error("$INCLUDE is not supported in feeds");
        continue;
      }
      if (st != LDNS_STATUS_OK) {
        ctx.error(std::string("invalid record: ") + ldns_get_errorstr_by_id(st));
        if (line_nr == before && !std::feof(fp.get())) {
          ctx.fatal("RPZ parser stopped making progress");
          break;
        }
        continue;
      }
      record(ctx, rr.get(), origin);
    }
    ldns_rdf_deep_free(origin);
    ldns_rdf_deep_free(prev);
    return ctx.take();
  }

 private:
  void record(ReadContext& ctx, const ldns_rr* rr, const ldns_rdf* origin) const {
    const ldns_rdf* owner = ldns_rr_owner(rr);
    if (ldns_dname_compare(owner, origin) == 0) return;  // apex SOA/NS
    const std::string owner_text = rdf_text(owner);
    const std::string origin_text = rdf_text(origin);
    if (!ldns_dname_is_subdomain(owner, origin)) {
      ctx.error("owner " + quote(owner_text) + " is outside the zone " + quote(origin_text));
      return;
    }
    // owner_text is `<relative>.<origin>`; escaping does not depend on case.
    std::string rel = origin_text == "." ? owner_text.substr(0, owner_text.size() - 1)
                                         : owner_text.substr(0, owner_text.size() - origin_text.size() - 1);
    for (char& c : rel) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }

    // The action.
    bool excluded = false;
    std::string action = "local-data";
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1) {
      std::string target = rdf_text(ldns_rr_rdf(rr, 0));
      for (char& c : target) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      // Action names written relative to the zone end up under the origin.
      std::string origin_lower = origin_text;
      for (char& c : origin_lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      if (origin_lower != "." && ends_with(target, "." + origin_lower)) {
        target = target.substr(0, target.size() - origin_lower.size());
      }
      if (target == ".") {
        action = "nxdomain";
      } else if (target == "*.") {
        action = "nodata";
      } else if (target == "rpz-passthru.") {
        action = "passthru";
        excluded = true;
      } else if (target == "rpz-drop.") {
        action = "drop";
      } else if (target == "rpz-tcp-only.") {
        ctx.note("rpz-tcp-only action: not used");
        return;
      }
    }

    // The trigger.
    Metadata meta = ctx.meta();
    meta.tag = action;
    if (ends_with(rel, ".rpz-client-ip") || ends_with(rel, ".rpz-nsip") || ends_with(rel, ".rpz-nsdname")) {
      ctx.note(quote(rel.substr(rel.rfind('.') + 1)) + " trigger: not used");
      return;
    }
    if (ends_with(rel, ".rpz-ip")) {
      auto p = parse_rpz_ip(std::string_view(rel).substr(0, rel.size() - 7), options_.host_bits);
      if (!p.is_ok()) {
        ctx.error(std::string(p.status().message()));
        return;
      }
      IpEntry e;
      e.prefix = p.value();
      e.excluded = excluded;
      e.meta = std::move(meta);
      ctx.add(std::move(e));
      return;
    }
    std::string_view name = rel;
    DomainForm form = DomainForm::kExact;
    if (name.substr(0, 2) == "*.") {
      form = DomainForm::kWildcard;
      name.remove_prefix(2);
    }
    auto normal = normalise_domain(name);
    if (!normal.is_ok()) {
      ctx.error(std::string(normal.status().message()));
      return;
    }
    DomainEntry d;
    d.name = std::move(normal).value();
    d.form = form;
    d.excluded = excluded;
    d.meta = std::move(meta);
    ctx.add(std::move(d));
  }

  ReadOptions options_;
};

}  // namespace

std::unique_ptr<Reader> make_rpz_reader(const ReadOptions& options) {
  return std::make_unique<RpzReader>(options);
}

}  // namespace fastrbl::feeds::detail
