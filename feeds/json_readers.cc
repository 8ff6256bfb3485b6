// The cloud providers' published range files, with nlohmann-json. Field names as the
// providers document them (feeds/README.md cites where):
//   AWS ip-ranges.json   syncToken, prefixes[{ip_prefix, region, network_border_group,
//                        service}], ipv6_prefixes[{ipv6_prefix, ...}]
//   Google goog.json / cloud.json   syncToken, prefixes[{ipv4Prefix | ipv6Prefix,
//                        service, scope}]
//   Azure ServiceTags_*.json   changeNumber, cloud, values[{name, id, properties{region,
//                        systemService, addressPrefixes[]}}]
//   Oracle public_ip_ranges.json   last_updated_timestamp, regions[{region, cidrs[{cidr,
//                        tags[]}]}]
//   Cloudflare API /client/v4/ips   result{etag, ipv4_cidrs[], ipv6_cidrs[], jdcloud_cidrs[]}
//                        (the bare result object is accepted too)
//
// Each record is one "line" for the counts, and messages carry the line of the source
// the record starts on: the parser reads through an iterator that counts newlines, and
// the lines seen at each node are matched to the parsed tree afterwards.

#include "feeds/read_context.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <iterator>
#include <string>
#include <unordered_map>
#include <utility>

namespace fastrbl::feeds::detail {
namespace {

using Json = nlohmann::ordered_json;

/// Where the parser is: lines consumed, and the count before the last character (a
/// number token is only known to end when the character after it has been read).
struct LinePos {
  std::size_t line = 1;
  std::size_t line_before_last = 1;
};

class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, LinePos* pos) : p_(p), pos_(pos) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    pos_->line_before_last = pos_->line;
    if (*p_ == '\n') ++pos_->line;
    ++p_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const CountingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  LinePos* pos_;
};

/// A parsed document and the source line of each of its nodes.
class JsonDoc {
 public:
  /// Parses `data`; on a syntax error returns false with *error and *error_line set.
  bool parse(std::string_view data, std::string* error, std::size_t* error_line) {
    LinePos pos;
    std::vector<std::size_t> lines;  // one per node, in document order
    auto cb = [&](int, Json::parse_event_t event, Json& parsed) {
      if (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) {
        lines.push_back(pos.line);
      } else if (event == Json::parse_event_t::value) {
        lines.push_back(parsed.is_number() ? pos.line_before_last : pos.line);
      }
      return true;
    };
    try {
      root_ = Json::parse(CountingIterator(data.data(), &pos),
                          CountingIterator(data.data() + data.size(), &pos), cb);
    } catch (const Json::exception& e) {
      std::string what = e.what();
      const std::size_t bracket = what.find("] ");
      if (bracket != std::string::npos) what.erase(0, bracket + 2);
      *error = what;
      *error_line = pos.line;
      return false;
    }
    // Pre-order over the tree meets the nodes in the order the parser reported them,
    // unless a duplicate key dropped a subtree: then lines are not trusted (0).
    std::vector<const Json*> nodes;
    collect(root_, &nodes);
    if (nodes.size() == lines.size()) {
      for (std::size_t i = 0; i < nodes.size(); ++i) lines_.emplace(nodes[i], lines[i]);
    }
    return true;
  }

  const Json& root() const noexcept { return root_; }
  std::size_t line_of(const Json& node) const {
    auto it = lines_.find(&node);
    return it == lines_.end() ? 0 : it->second;
  }

 private:
  /// Pre-order, with an explicit stack: input nesting is not bounded.
  static void collect(const Json& root, std::vector<const Json*>* out) {
    std::vector<const Json*> todo{&root};
    std::vector<const Json*> children;
    while (!todo.empty()) {
      const Json* node = todo.back();
      todo.pop_back();
      out->push_back(node);
      if (!node->is_structured()) continue;
      children.clear();
      for (auto it = node->begin(); it != node->end(); ++it) children.push_back(&it.value());
      todo.insert(todo.end(), children.rbegin(), children.rend());
    }
  }

  Json root_;
  std::unordered_map<const Json*, std::size_t> lines_;
};

const Json* member(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

/// A string member, a number member as text, else "".
std::string text_member(const Json& obj, const char* key) {
  const Json* m = member(obj, key);
  if (m == nullptr) return {};
  if (m->is_string()) return m->get<std::string>();
  if (m->is_number()) return m->dump();
  return {};
}

class JsonReader final : public Reader {
 public:
  JsonReader(const ReadOptions& options, Format format) : options_(options), format_(format) {}

  ReadResult read(std::string_view data, std::string_view file_name) const override {
    ReadContext ctx(file_name, options_, implied_provider());
    JsonDoc doc;
    std::string error;
    std::size_t error_line = 0;
    if (!doc.parse(data, &error, &error_line)) {
      ctx.set_line(error_line);
      ctx.fatal("invalid JSON: " + error);
      return ctx.take();
    }
    if (!doc.root().is_object()) {
      ctx.set_line(doc.line_of(doc.root()));
      ctx.fatal("the top level is not a JSON object");
      return ctx.take();
    }
    switch (format_) {
      case Format::kAws:
        aws(ctx, doc);
        break;
      case Format::kGoogle:
        google(ctx, doc);
        break;
      case Format::kAzure:
        azure(ctx, doc);
        break;
      case Format::kOracle:
        oracle(ctx, doc);
        break;
      default:
        cloudflare(ctx, doc);
        break;
    }
    return ctx.take();
  }

 private:
  std::string_view implied_provider() const {
    switch (format_) {
      case Format::kAws:
        return "aws";
      case Format::kGoogle:
        return "google";
      case Format::kAzure:
        return "azure";
      case Format::kOracle:
        return "oracle";
      default:
        return "cloudflare";
    }
  }

  /// The array member `key` of `obj`; a missing or non-array member is fatal when
  /// `required`, else nullptr.
  static const Json* array_member(ReadContext& ctx, const JsonDoc& doc, const Json& obj, const char* key,
                                  bool required) {
    const Json* m = member(obj, key);
    if (m != nullptr && m->is_array()) return m;
    if (m != nullptr || required) {
      ctx.set_line(m != nullptr ? doc.line_of(*m) : doc.line_of(obj));
      ctx.fatal(std::string("no ") + quote(key) + " array");
    }
    return nullptr;
  }

  /// Adds one prefix given as a JSON string; `family` is 4, 6 or 0 (either).
  void add_prefix(ReadContext& ctx, const JsonDoc& doc, const Json& value, const char* field, int family,
                  Metadata meta) const {
    ctx.set_line(doc.line_of(value));
    if (!value.is_string()) {
      ctx.error(quote(field) + " is not a string");
      return;
    }
    const std::string text = value.get<std::string>();
    auto p = parse_ip_prefix(text, options_.host_bits);
    if (!p.is_ok()) {
      ctx.error(quote(field) + ": " + std::string(p.status().message()));
      return;
    }
    if ((family == 4 && p.value().v6) || (family == 6 && !p.value().v6)) {
      ctx.error(quote(field) + ": " + quote(text) + " is not an IPv" + std::to_string(family) + " prefix");
      return;
    }
    IpEntry e;
    e.prefix = p.value();
    e.meta = std::move(meta);
    ctx.add(std::move(e));
  }

  void aws(ReadContext& ctx, const JsonDoc& doc) const {
    const Json& root = doc.root();
    ctx.result().version = text_member(root, "syncToken");
    struct Part {
      const char* array;
      const char* field;
      int family;
    };
    for (const Part& part : {Part{"prefixes", "ip_prefix", 4}, Part{"ipv6_prefixes", "ipv6_prefix", 6}}) {
      const Json* list = array_member(ctx, doc, root, part.array, part.family == 4);
      if (list == nullptr) continue;
      for (const Json& rec : *list) {
        const Json* prefix = member(rec, part.field);
        if (prefix == nullptr) {
          ctx.set_line(doc.line_of(rec));
          ctx.error(std::string("record without ") + quote(part.field));
          continue;
        }
        Metadata meta = ctx.meta();
        meta.service = text_member(rec, "service");
        meta.region = text_member(rec, "region");
        meta.tag = text_member(rec, "network_border_group");
        add_prefix(ctx, doc, *prefix, part.field, part.family, std::move(meta));
      }
    }
  }

  void google(ReadContext& ctx, const JsonDoc& doc) const {
    const Json& root = doc.root();
    ctx.result().version = text_member(root, "syncToken");
    const Json* list = array_member(ctx, doc, root, "prefixes", true);
    if (list == nullptr) return;
    for (const Json& rec : *list) {
      const Json* v4 = member(rec, "ipv4Prefix");
      const Json* v6 = member(rec, "ipv6Prefix");
      if ((v4 == nullptr) == (v6 == nullptr)) {
        ctx.set_line(doc.line_of(rec));
        ctx.error("record needs exactly one of `ipv4Prefix' and `ipv6Prefix'");
        continue;
      }
      Metadata meta = ctx.meta();
      meta.service = text_member(rec, "service");
      meta.region = text_member(rec, "scope");
      if (v4 != nullptr) {
        add_prefix(ctx, doc, *v4, "ipv4Prefix", 4, std::move(meta));
      } else {
        add_prefix(ctx, doc, *v6, "ipv6Prefix", 6, std::move(meta));
      }
    }
  }

  void azure(ReadContext& ctx, const JsonDoc& doc) const {
    const Json& root = doc.root();
    ctx.result().version = text_member(root, "changeNumber");
    const Json* list = array_member(ctx, doc, root, "values", true);
    if (list == nullptr) return;
    for (const Json& rec : *list) {
      const Json* props = member(rec, "properties");
      const Json* prefixes = props == nullptr ? nullptr : member(*props, "addressPrefixes");
      if (prefixes == nullptr || !prefixes->is_array()) {
        ctx.set_line(doc.line_of(rec));
        ctx.error("service tag " + quote(text_member(rec, "name")) + " without `properties.addressPrefixes'");
        continue;
      }
      Metadata meta = ctx.meta();
      meta.service = text_member(*props, "systemService");
      meta.region = text_member(*props, "region");
      meta.tag = text_member(rec, "name");
      for (const Json& prefix : *prefixes) add_prefix(ctx, doc, prefix, "addressPrefixes", 0, meta);
    }
  }

  void oracle(ReadContext& ctx, const JsonDoc& doc) const {
    const Json& root = doc.root();
    ctx.result().version = text_member(root, "last_updated_timestamp");
    const Json* regions = array_member(ctx, doc, root, "regions", true);
    if (regions == nullptr) return;
    for (const Json& region : *regions) {
      const Json* cidrs = member(region, "cidrs");
      if (cidrs == nullptr || !cidrs->is_array()) {
        ctx.set_line(doc.line_of(region));
        ctx.error("region " + quote(text_member(region, "region")) + " without a `cidrs' array");
        continue;
      }
      for (const Json& rec : *cidrs) {
        const Json* cidr = member(rec, "cidr");
        if (cidr == nullptr) {
          ctx.set_line(doc.line_of(rec));
          ctx.error("record without `cidr'");
          continue;
        }
        Metadata meta = ctx.meta();
        meta.region = text_member(region, "region");
        if (const Json* tags = member(rec, "tags"); tags != nullptr && tags->is_array()) {
          for (const Json& tag : *tags) {
            if (!tag.is_string()) continue;
            if (!meta.service.empty()) meta.service += ",";
            meta.service += tag.get<std::string>();
          }
        }
        add_prefix(ctx, doc, *cidr, "cidr", 0, std::move(meta));
      }
    }
  }

  void cloudflare(ReadContext& ctx, const JsonDoc& doc) const {
    const Json* result = member(doc.root(), "result");
    const Json& obj = result != nullptr ? *result : doc.root();
    if (!obj.is_object()) {
      ctx.set_line(doc.line_of(obj));
      ctx.fatal("`result' is not an object");
      return;
    }
    ctx.result().version = text_member(obj, "etag");
    const Json* v4 = array_member(ctx, doc, obj, "ipv4_cidrs", true);
    const Json* v6 = array_member(ctx, doc, obj, "ipv6_cidrs", true);
    const Json* jd = array_member(ctx, doc, obj, "jdcloud_cidrs", false);
    if (v4 != nullptr) {
      for (const Json& p : *v4) add_prefix(ctx, doc, p, "ipv4_cidrs", 4, ctx.meta());
    }
    if (v6 != nullptr) {
      for (const Json& p : *v6) add_prefix(ctx, doc, p, "ipv6_cidrs", 6, ctx.meta());
    }
    if (jd != nullptr) {
      Metadata meta = ctx.meta();
      meta.tag = "jdcloud";
      for (const Json& p : *jd) add_prefix(ctx, doc, p, "jdcloud_cidrs", 0, meta);
    }
  }

  ReadOptions options_;
  Format format_;
};

}  // namespace

std::unique_ptr<Reader> make_json_reader(const ReadOptions& options, Format format) {
  return std::make_unique<JsonReader>(options, format);
}

}  // namespace fastrbl::feeds::detail
