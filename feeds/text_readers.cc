// The line-oriented text formats: plain lists (and Cloudflare's ips-v4/ips-v6, which are
// plain lists of prefixes), hosts files, AdBlock/AdGuard DNS rules and CSV columns.

#include "feeds/normalise.h"
#include "feeds/read_context.h"

#include <array>
#include <utility>

namespace fastrbl::feeds::detail {
namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

/// The first blank-delimited word and the trimmed rest.
std::pair<std::string_view, std::string_view> split_word(std::string_view s) {
  std::size_t end = 0;
  while (end < s.size() && !is_blank(s[end])) ++end;
  return {s.substr(0, end), trim(s.substr(end))};
}

// plain / cloudflare: `[!]entry [# or ; comment]`

class ListReader final : public Reader {
 public:
  ListReader(const ReadOptions& options, TokenKinds kinds, std::string provider)
      : options_(options), kinds_(kinds), provider_(std::move(provider)) {}

  ReadResult read(std::string_view data, std::string_view file_name) const override {
    ReadContext ctx(file_name, options_, provider_);
    for_each_line(data, [&](std::size_t lineno, std::string_view line) {
      ctx.set_line(lineno);
      if (line.empty() || line[0] == '#' || line[0] == ';') return;
      // The entry ends at a blank or at an inline comment (`1.2.3.0/24 ; SBL123`).
      const std::size_t end = line.find_first_of(" \t#;");
      const std::string_view token = line.substr(0, end);
      std::string_view rest = end == std::string_view::npos ? std::string_view() : trim(line.substr(end));
      std::string comment;
      if (!rest.empty()) {
        if (rest[0] != '#' && rest[0] != ';') {
          ctx.error("unexpected text after " + quote(token) + ": " + quote(rest));
          return;
        }
        comment = std::string(trim(rest.substr(1)));
      }
      auto e = parse_token(token, options_.default_form, options_.host_bits, kinds_);
      if (!e.is_ok()) {
        ctx.error(std::string(e.status().message()));
        return;
      }
      TokenEntry& t = e.value();
      Metadata meta = ctx.meta();
      meta.tag = std::move(comment);
      add_token(ctx, std::move(t), std::move(meta));
    });
    return ctx.take();
  }

 private:
  ReadOptions options_;
  TokenKinds kinds_;
  std::string provider_;
};

// hosts: `address name [name...] [# comment]`

constexpr std::array<std::string_view, 12> kLocalHostNames{
    "localhost",     "localhost.localdomain", "local",        "broadcasthost",
    "ip6-localhost", "ip6-loopback",          "ip6-localnet", "ip6-mcastprefix",
    "ip6-allnodes",  "ip6-allrouters",        "ip6-allhosts", "0.0.0.0",
};

bool is_local_name(std::string_view name) {
  for (std::string_view l : kLocalHostNames) {
    if (l == name) return true;
  }
  return false;
}

class HostsReader final : public Reader {
 public:
  explicit HostsReader(const ReadOptions& options) : options_(options) {}

  ReadResult read(std::string_view data, std::string_view file_name) const override {
    ReadContext ctx(file_name, options_);
    for_each_line(data, [&](std::size_t lineno, std::string_view line) {
      ctx.set_line(lineno);
      const std::size_t hash = line.find('#');
      if (hash != std::string_view::npos) line = trim(line.substr(0, hash));
      if (line.empty()) return;
      auto [first, rest] = split_word(line);
      const std::string_view addr = first.substr(0, first.find('%'));  // fe80::1%lo0
      if (!parse_ip_prefix(addr).is_ok() || addr.find('/') != std::string_view::npos) {
        ctx.error("invalid address " + quote(addr) + " at the start of a hosts line");
        return;
      }
      if (rest.empty()) {
        ctx.error("no host name after " + quote(addr));
        return;
      }
      std::vector<DomainEntry> names;
      std::string local;
      while (!rest.empty()) {
        auto [word, after] = split_word(rest);
        rest = after;
        if (is_local_name(word)) {
          local = std::string(word);
          continue;
        }
        auto name = normalise_domain(word);
        if (!name.is_ok()) {
          ctx.error(std::string(name.status().message()));
          return;
        }
        DomainEntry d;
        d.name = std::move(name).value();
        d.form = options_.default_form;
        d.meta = ctx.meta();
        names.push_back(std::move(d));
      }
      if (names.empty()) {
        ctx.note("local name " + quote(local) + " not used");
        return;
      }
      ctx.add(std::move(names), {});
    });
    return ctx.take();
  }

 private:
  ReadOptions options_;
};

// AdBlock / AdGuard DNS rules

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

class AdblockReader final : public Reader {
 public:
  explicit AdblockReader(const ReadOptions& options) : options_(options) {}

  ReadResult read(std::string_view data, std::string_view file_name) const override {
    ReadContext ctx(file_name, options_);
    for_each_line(data, [&](std::size_t lineno, std::string_view line) {
      ctx.set_line(lineno);
      read_line(ctx, line);
    });
    return ctx.take();
  }

 private:
  void read_line(ReadContext& ctx, std::string_view line) const {
    if (line.empty()) return;
    if (line.find("##") != std::string_view::npos || line.find("#@#") != std::string_view::npos ||
        line.find("#?#") != std::string_view::npos || line.find("#$#") != std::string_view::npos ||
        line.find("#%#") != std::string_view::npos) {
      ctx.note("cosmetic rule: not DNS-level");
      return;
    }
    if (line[0] == '!' || line[0] == '#') {
      const std::string_view body = trim(line.substr(1));
      if (starts_with(body, "Version:")) ctx.result().version = std::string(trim(body.substr(8)));
      return;
    }
    if (line[0] == '[') return;  // `[Adblock Plus 2.0]` header
    bool exception = false;
    std::string_view rule = line;
    if (starts_with(rule, "@@")) {
      exception = true;
      rule.remove_prefix(2);
    }
    if (!starts_with(rule, "||")) {
      ctx.note("rule without a `||' domain anchor: not DNS-level");
      return;
    }
    rule.remove_prefix(2);
    const std::size_t caret = rule.find('^');
    const std::size_t dollar = rule.find('$');
    const std::size_t slash = rule.find('/');
    if (slash != std::string_view::npos && slash < caret && slash < dollar) {
      ctx.note("URL rule with a path: not DNS-level");
      return;
    }
    if (caret == std::string_view::npos || (dollar != std::string_view::npos && dollar < caret)) {
      ctx.note("rule without a `^' separator after the domain: not used");
      return;
    }
    std::string_view host = rule.substr(0, caret);
    std::string_view after = rule.substr(caret + 1);
    if (host.find('/') != std::string_view::npos || (!after.empty() && after[0] != '$')) {
      ctx.note("URL rule with a path: not DNS-level");
      return;
    }
    DomainForm form = DomainForm::kSuffix;  // `||d^` blocks d and every name under it
    if (starts_with(host, "*.")) {
      form = DomainForm::kWildcard;  // `||*.d^`: only names under d
      host.remove_prefix(2);
    }
    if (host.find('*') != std::string_view::npos) {
      ctx.note("wildcard inside a name: not supported");
      return;
    }
    auto name = normalise_domain(host);
    if (!name.is_ok()) {
      ctx.error(std::string(name.status().message()));
      return;
    }
    std::vector<DomainEntry> out;
    DomainEntry main;
    main.name = std::move(name).value();
    main.form = form;
    main.excluded = exception;
    main.meta = ctx.meta();
    out.push_back(std::move(main));
    if (!after.empty()) {
      // `$mod1,mod2=value`: modifiers that narrow a rule (dnstype, client, ctag...) would
      // make a DNSBL listing wider than the rule, so such rules are not used.
      std::string_view mods = after.substr(1);
      while (!mods.empty()) {
        const std::size_t comma = mods.find(',');
        const std::string_view mod = mods.substr(0, comma);
        mods.remove_prefix(comma == std::string_view::npos ? mods.size() : comma + 1);
        if (mod == "important" || mod == "all" || mod == "document") continue;
        if (starts_with(mod, "denyallow=") && !exception) {
          std::string_view list = mod.substr(10);
          if (list.empty()) {
            ctx.error("empty $denyallow list");
            return;
          }
          while (!list.empty()) {
            const std::size_t bar = list.find('|');
            const std::string_view allowed = list.substr(0, bar);
            list.remove_prefix(bar == std::string_view::npos ? list.size() : bar + 1);
            auto allowed_name = normalise_domain(allowed);
            if (!allowed_name.is_ok()) {
              ctx.error("$denyallow: " + std::string(allowed_name.status().message()));
              return;
            }
            DomainEntry ex;
            ex.name = std::move(allowed_name).value();
            ex.form = DomainForm::kSuffix;  // denyallow exempts the domain and its subdomains
            ex.excluded = true;
            ex.meta = ctx.meta();
            out.push_back(std::move(ex));
          }
          continue;
        }
        ctx.note("modifier " + quote("$" + std::string(mod)) + " not supported: rule not used");
        return;
      }
    }
    ctx.add(std::move(out), {});
  }

  ReadOptions options_;
};

// CSV: one column (RFC 4180 quoting within a line)

/// Splits one CSV line; false on an unterminated quote.
bool split_csv(std::string_view line, char delimiter, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  bool quoted_field = false, in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        field += c;
      }
    } else if (c == '"' && trim(field).empty() && !quoted_field) {
      in_quotes = quoted_field = true;
      field.clear();
    } else if (c == delimiter) {
      fields->push_back(quoted_field ? field : std::string(trim(field)));
      field.clear();
      quoted_field = false;
    } else {
      field += c;
    }
  }
  if (in_quotes) return false;
  fields->push_back(quoted_field ? field : std::string(trim(field)));
  return true;
}

class CsvReader final : public Reader {
 public:
  explicit CsvReader(const ReadOptions& options) : options_(options) {}

  ReadResult read(std::string_view data, std::string_view file_name) const override {
    ReadContext ctx(file_name, options_);
    const CsvOptions& csv = options_.csv;
    if (csv.column == 0) {
      ctx.fatal("csv column numbers start at 1");
      return ctx.take();
    }
    bool header_pending = csv.header;
    std::vector<std::string> fields;
    for_each_line(data, [&](std::size_t lineno, std::string_view line) {
      ctx.set_line(lineno);
      if (line.empty() || line[0] == '#') return;
      if (header_pending) {
        header_pending = false;
        return;
      }
      if (!split_csv(line, csv.delimiter, &fields)) {
        ctx.error("unterminated quoted field");
        return;
      }
      if (fields.size() < csv.column || (csv.tag_column != 0 && fields.size() < csv.tag_column)) {
        ctx.error("row has " + std::to_string(fields.size()) + " field(s), column " +
                  std::to_string(std::max(csv.column, csv.tag_column)) + " wanted");
        return;
      }
      const std::string& value = fields[csv.column - 1];
      if (value.empty()) {
        ctx.error("column " + std::to_string(csv.column) + " is empty");
        return;
      }
      auto e = parse_token(value, options_.default_form, options_.host_bits);
      if (!e.is_ok()) {
        ctx.error(std::string(e.status().message()));
        return;
      }
      TokenEntry& t = e.value();
      Metadata meta = ctx.meta();
      if (csv.tag_column != 0) meta.tag = fields[csv.tag_column - 1];
      add_token(ctx, std::move(t), std::move(meta));
    });
    return ctx.take();
  }

 private:
  ReadOptions options_;
};

}  // namespace

std::unique_ptr<Reader> make_list_reader(const ReadOptions& options, TokenKinds kinds, std::string provider) {
  return std::make_unique<ListReader>(options, kinds, std::move(provider));
}
std::unique_ptr<Reader> make_hosts_reader(const ReadOptions& options) {
  return std::make_unique<HostsReader>(options);
}
std::unique_ptr<Reader> make_adblock_reader(const ReadOptions& options) {
  return std::make_unique<AdblockReader>(options);
}
std::unique_ptr<Reader> make_csv_reader(const ReadOptions& options) {
  return std::make_unique<CsvReader>(options);
}

}  // namespace fastrbl::feeds::detail
