#pragma once
// DumpModel: reads the master-file text of `rbldnsd -d` or `fastrbld -d` back and answers
// questions as rbldnsd's datasets would for such data, so that two dumps (ours and
// rbldnsd's), or a dump and the loaded data, can be compared by the answers they imply
// rather than line by line (docs/differences.md: the dumps list entries differently).
//
// Rules, per kind of owner (absolute, lowercase):
//   * IPv4 `d.c.b.a`, `*.c.b.a`, `*.b.a`, `*.a` under the zone: the most specific name
//     that exists decides (rbldnsd's ip4set levels); `CNAME excluded` there: not listed.
//   * IPv6: the 32-nibble name, then `*.` over 31 down to 1 nibbles, the same way.
//   * Names (dnset): the exact name decides if it exists; else `*.suffix`, longest first.
// A TXT is written for the first address of its block (rbldnsd's dump does that too);
// answers replace that address text by the queried one, as a query would show it.
// Answers are "A a.b.c.d ttl" and "TXT \"text\" ttl" lines, sorted and deduplicated,
// the format of loader_test_util.h's ask(). Test-only code: it allocates freely.

#include "zones/prefix_table.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::testing {

class DumpModel {
 public:
  explicit DumpModel(std::string_view text) {
    std::string origin = ".";
    std::string owner;
    std::uint32_t ttl = 0;
    Entry* last_a = nullptr;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      const std::string line(text.substr(pos, nl - pos));
      pos = nl + 1;
      if (line.empty() || line[0] == ';') continue;
      if (line.rfind("$ORIGIN", 0) == 0) {
        origin = lower(trim(line.substr(7)));
        owner = origin;  // rbldnsd starts a zone's NS lines without an owner
        continue;
      }
      if (line.rfind("$TTL", 0) == 0) {
        ttl = static_cast<std::uint32_t>(std::stoul(trim(line.substr(4))));
        continue;
      }
      std::vector<std::string> f = split_tabs(line);
      if (f.size() < 2) continue;
      if (!f[0].empty()) owner = f[0] == "@" ? origin : lower(f[0]) + "." + origin;
      if (f[1] == "TXT" && f[0].empty() && last_a != nullptr && f.size() >= 3) {
        last_a->txt = unquote(f[2]);
        last_a->has_txt = true;
        last_a = nullptr;
        continue;
      }
      last_a = nullptr;
      std::vector<Entry>& list = owners_[owner];
      if (f[1] == "A" && f.size() >= 3) {
        list.push_back(Entry{false, f[2], {}, false, ttl});
        last_a = &list.back();
      } else if (f[1] == "CNAME" && f.size() >= 3 && f[2] == "excluded") {
        list.push_back(Entry{true, {}, {}, false, ttl});
      } else if (f.size() >= 4 && (f[2] == "SOA" || f[2] == "NS")) {
        std::string s = owner + " " + f[1] + " " + f[2];
        for (std::size_t i = 3; i < f.size(); ++i) s += " " + f[i];
        zone_lines_.push_back(s);
      } else if (f.size() >= 4) {  // generic: ttl TYPE data...
        std::string s = f[1] + " " + f[2];
        for (std::size_t i = 3; i < f.size(); ++i) s += " " + (f[2] == "TXT" ? unquote(f[i]) : f[i]);
        generic_[owner].push_back(s);
      }
    }
  }

  /// SOA and NS lines as "owner ttl TYPE data", in dump order.
  const std::vector<std::string>& zone_lines() const { return zone_lines_; }
  /// Generic records per owner: "ttl TYPE data" (TXT unquoted), in dump order.
  const std::map<std::string, std::vector<std::string>>& generic() const { return generic_; }

  /// The answer for IPv4 `addr` under `zone` (absolute, with the trailing dot).
  std::vector<std::string> ip4(const std::string& zone, std::uint32_t addr) const {
    const unsigned o[4] = {addr >> 24, (addr >> 16) & 255u, (addr >> 8) & 255u, addr & 255u};
    const std::string q = dotted(addr);
    for (int level = 0; level < 4; ++level) {
      std::string name = level == 0 ? "" : "*";
      for (int i = 3 - level; i >= 0; --i) name += (name.empty() ? "" : ".") + std::to_string(o[i]);
      const std::uint32_t mask = level == 0 ? 0xffffffffu : ~((std::uint32_t{1} << (8 * level)) - 1u);
      if (auto r = decide(name + "." + zone, dotted(addr & mask), q)) return *r;
    }
    return {};
  }

  /// The answer for the IPv6 address `a` (16 bytes) under `zone`.
  std::vector<std::string> ip6(const std::string& zone, const std::array<std::uint8_t, 16>& a) const {
    const std::string q = ip6_text(a);
    for (int nibbles = 32; nibbles >= 1; --nibbles) {
      std::string name = nibbles == 32 ? "" : "*";
      std::array<std::uint8_t, 16> first{};
      for (int i = nibbles - 1; i >= 0; --i) {
        const auto u = static_cast<std::size_t>(i);
        const unsigned nib = (i % 2 == 0 ? a[u / 2] >> 4 : a[u / 2]) & 15u;
        name += (name.empty() ? "" : ".") + std::string(1, "0123456789abcdef"[nib]);
      }
      for (int i = 0; i < nibbles; ++i) {
        const auto u = static_cast<std::size_t>(i);
        const unsigned nib = (i % 2 == 0 ? a[u / 2] >> 4 : a[u / 2]) & 15u;
        first[u / 2] = static_cast<std::uint8_t>(first[u / 2] | (i % 2 == 0 ? nib << 4 : nib));
      }
      if (auto r = decide(name + "." + zone, ip6_text(first), q)) return *r;
    }
    return {};
  }

  /// The answer for `name` (relative, lowercase, no trailing dot) under `zone` (dnset).
  std::vector<std::string> name(const std::string& zone, const std::string& rel) const {
    if (auto r = decide(rel + "." + zone, "", "")) return *r;
    for (std::size_t dot = rel.find('.'); dot != std::string::npos; dot = rel.find('.', dot + 1))
      if (auto r = decide("*." + rel.substr(dot + 1) + "." + zone, "", "")) return *r;
    return {};
  }

  /// IPv4 addresses worth asking about under `zone`: both ends of every block named in the
  /// dump, and their outside neighbours.
  std::vector<std::uint32_t> ip4_probes(const std::string& zone) const {
    std::vector<std::uint32_t> out;
    const std::string suffix = "." + zone;
    for (const auto& [owner, entries] : owners_) {
      if (owner.size() <= suffix.size() ||
          owner.compare(owner.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      std::vector<std::string> labels;
      std::stringstream ss(owner.substr(0, owner.size() - suffix.size()));
      for (std::string l; std::getline(ss, l, '.');) labels.push_back(l);
      const bool wild = !labels.empty() && labels[0] == "*";
      if (wild) labels.erase(labels.begin());
      if (labels.empty() || labels.size() > 4 || (!wild && labels.size() != 4)) continue;
      std::uint32_t first = 0;
      bool ok = true;
      for (std::size_t i = 0; i < 4; ++i) {
        const std::size_t k = labels.size() - 1 - i;  // labels are reversed
        unsigned v = 0;
        if (i < labels.size()) {
          if (labels[k].empty() || labels[k].size() > 3 ||
              !std::all_of(labels[k].begin(), labels[k].end(), [](char c) { return c >= '0' && c <= '9'; }))
            ok = false;
          else
            v = static_cast<unsigned>(std::stoul(labels[k]));
        }
        first = (first << 8) | (v & 255u);
      }
      if (!ok) continue;
      const std::uint32_t last =
          first | (labels.size() == 4 ? 0u : (std::uint32_t{1} << (8 * (4 - labels.size()))) - 1u);
      out.push_back(first);
      out.push_back(last);
      if (first != 0) out.push_back(first - 1);
      if (last != 0xffffffffu) out.push_back(last + 1);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  static std::string dotted(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255u) + "." +
           std::to_string((a >> 8) & 255u) + "." + std::to_string(a & 255u);
  }
  static std::string ip6_text(const std::array<std::uint8_t, 16>& a) {
    std::array<char, 40> buf{};
    return std::string(buf.data(), zones::format_ip6(a, buf));
  }

 private:
  struct Entry {
    bool excluded;
    std::string a;
    std::string txt;
    bool has_txt;
    std::uint32_t ttl;
  };

  // The answer if `owner` exists (empty when excluded); nullopt when it does not.
  std::optional<std::vector<std::string>> decide(const std::string& owner, const std::string& block_subject,
                                                 const std::string& subject) const {
    auto it = owners_.find(owner);
    if (it == owners_.end() || it->second.empty()) return std::nullopt;
    std::vector<std::string> out;
    for (const Entry& e : it->second)
      if (e.excluded) return out;
    for (const Entry& e : it->second) {
      out.push_back("A " + e.a + " " + std::to_string(e.ttl));
      if (e.has_txt) {
        std::string t = e.txt;
        if (!block_subject.empty())
          for (std::size_t p = 0; (p = t.find(block_subject, p)) != std::string::npos; p += subject.size())
            t.replace(p, block_subject.size(), subject);
        out.push_back("TXT \"" + t + "\" " + std::to_string(e.ttl));
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  static std::string trim(const std::string& s) {
    const std::size_t b = s.find_first_not_of(" \t");
    const std::size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
  }
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  // Splits on tabs, keeping a quoted string (which may hold tabs) in one field.
  static std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> f(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '\\' && i + 1 < line.size()) {
        f.back() += c;
        f.back() += line[++i];
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (c == '\t' && !quoted)
        f.emplace_back();
      else
        f.back() += c;
    }
    return f;
  }
  // "text" -> text, with \DDD and \c escapes undone.
  static std::string unquote(const std::string& q) {
    std::string s = q.size() >= 2 && q.front() == '"' && q.back() == '"' ? q.substr(1, q.size() - 2) : q;
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\' || i + 1 >= s.size()) {
        out += s[i];
      } else if (i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isdigit(static_cast<unsigned char>(s[i + 2])) &&
                 std::isdigit(static_cast<unsigned char>(s[i + 3]))) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 3)));
        i += 3;
      } else {
        out += s[++i];
      }
    }
    return out;
  }

  std::map<std::string, std::vector<Entry>> owners_;
  std::map<std::string, std::vector<std::string>> generic_;
  std::vector<std::string> zone_lines_;
};

}  // namespace fastrbl::testing
