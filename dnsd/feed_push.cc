#include "dnsd/feed_push.h"

#include "core/dname.h"
#include "core/dns.h"
#include "dnsd/update.h"
#include "feeds/feed_config.h"
#include "feeds/feed_store.h"
#include "zones/store.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <getopt.h>
#include <iostream>
#include <map>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace fastrbl::dnsd {

namespace {

constexpr const char* kDefaultConfig = "/etc/fastrbl/feeds.toml";

std::string where(std::string_view file, std::size_t line) {
  return "file " + std::string(file) + "(" + std::to_string(line) + "): ";
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

enum class KeyKind { kName, kIp4, kIp6 };

// The kind of a key as written (`!`, `.`, `*.` prefixes and a `/len` allowed).
KeyKind key_kind(std::string_view key) {
  if (key.starts_with("!")) key.remove_prefix(1);
  const std::string addr(key.substr(0, key.find('/')));
  std::uint8_t buf[16];
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) return KeyKind::kIp4;
  if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) return KeyKind::kIp6;
  return KeyKind::kName;
}

void put_u16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}

void put_rr(std::vector<std::uint8_t>& out, const core::Name& owner, std::uint16_t type, std::uint16_t cls,
            std::uint32_t ttl, const std::vector<std::uint8_t>& rdata) {
  out.insert(out.end(), owner.wire().begin(), owner.wire().end());
  put_u16(out, type);
  put_u16(out, cls);
  put_u16(out, static_cast<std::uint16_t>(ttl >> 16));
  put_u16(out, static_cast<std::uint16_t>(ttl));
  put_u16(out, static_cast<std::uint16_t>(rdata.size()));
  out.insert(out.end(), rdata.begin(), rdata.end());
}

// The update RRs of one line.
core::Result<std::vector<std::uint8_t>> line_records(const PushLine& l, const core::Name& zone,
                                                     std::string_view file) {
  const std::string w = where(file, l.line);
  if (l.key.starts_with("!") || l.key.starts_with(".") || l.key.find('/') != std::string::npos)
    return core::Status::error(w + "`" + l.key +
                               "': prefixes, .suffix entries and exclusions have no DNS name; push them with "
                               "--db (locally)");
  std::string owner_text;
  const KeyKind kind = key_kind(l.key);
  if (kind == KeyKind::kIp4) {
    in_addr a{};
    ::inet_pton(AF_INET, l.key.c_str(), &a);
    std::uint8_t b[4];
    std::memcpy(b, &a, 4);
    owner_text = std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
                 std::to_string(b[0]);
  } else if (kind == KeyKind::kIp6) {
    in6_addr a{};
    ::inet_pton(AF_INET6, l.key.c_str(), &a);
    std::uint8_t b[16];
    std::memcpy(b, &a, 16);
    static const char* hex = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      const std::uint8_t v = b[i];
      owner_text += hex[v & 15];
      owner_text += '.';
      owner_text += hex[v >> 4];
      if (i > 0) owner_text += '.';
    }
  } else {
    owner_text = l.key;
  }
  auto owner = core::Name::from_text(owner_text);
  if (!owner.is_ok())
    return core::Status::error(w + "`" + l.key + "': " + std::string(owner.status().message()));
  core::Name full = owner.value();
  if (!full.append(zone))
    return core::Status::error(w + "`" + l.key + "': the name is too long under the zone");
  std::vector<std::uint8_t> out;
  if (!l.add) {
    put_rr(out, full, core::rrtype::kANY, core::rrclass::kANY, 0, {});
    return out;
  }
  std::string a, txt;
  if (!l.value.empty()) {
    std::string_view v = l.value;
    if (v.starts_with(":")) v.remove_prefix(1);
    const std::size_t colon = v.find(':');
    a = std::string(v.substr(0, colon));
    if (colon != std::string_view::npos) txt = std::string(v.substr(colon + 1));
    if (!a.empty() && a.size() <= 3 && a.find_first_not_of("0123456789") == std::string::npos)
      a = "127.0.0." + a;
  }
  if (!a.empty()) {
    in_addr addr{};
    if (::inet_pton(AF_INET, a.c_str(), &addr) != 1)
      return core::Status::error(w + "invalid A value `" + a + "' in `" + l.value + "'");
    std::vector<std::uint8_t> rd(4);
    std::memcpy(rd.data(), &addr, 4);
    put_rr(out, full, core::rrtype::kA, core::rrclass::kIN, 0, rd);
  }
  if (!txt.empty() || a.empty()) {  // no value at all: one empty TXT string (the dataset's default)
    if (txt.size() > 254) return core::Status::error(w + "TXT longer than 254 bytes");
    std::vector<std::uint8_t> rd;
    rd.push_back(static_cast<std::uint8_t>(txt.size()));
    rd.insert(rd.end(), txt.begin(), txt.end());
    put_rr(out, full, core::rrtype::kTXT, core::rrclass::kIN, 0, rd);
  }
  return out;
}

std::vector<std::uint8_t> message_start(const core::Name& zone, std::uint16_t id) {
  std::vector<std::uint8_t> m(core::kHeaderSize, 0);
  core::store_u16(&m[0], id);
  m[2] = static_cast<std::uint8_t>(kOpcodeUpdate << 3);
  m[5] = 1;  // ZOCOUNT
  m.insert(m.end(), zone.wire().begin(), zone.wire().end());
  put_u16(m, core::rrtype::kSOA);
  put_u16(m, core::rrclass::kIN);
  return m;
}

// Counts the RRs of `records` (a run of complete RRs without compression).
std::size_t count_records(const std::vector<std::uint8_t>& records) {
  std::size_t n = 0, pos = 0;
  while (pos < records.size()) {
    while (records[pos] != 0) pos += 1u + records[pos];
    pos += 1 + 8;
    const std::size_t rdlen = core::load_u16(&records[pos]);
    pos += 2 + rdlen;
    ++n;
  }
  return n;
}

int usage_error(const std::string& msg) {
  std::fprintf(
      stderr,
      "fastrblctl: feed push: %s\n"
      "usage: fastrblctl feed push --zone ZONE --server ADDR[:PORT] --key FILE [--key-name NAME] FILE\n"
      "       fastrblctl feed push --zone ZONE [--config FILE] [--db DIR] FILE\n",
      msg.c_str());
  return 2;
}

int fail(std::string_view msg) {
  std::fprintf(stderr, "fastrblctl: %.*s\n", static_cast<int>(msg.size()), msg.data());
  return 1;
}

std::string push_usage() {
  return std::string(
             "usage: fastrblctl feed push --zone ZONE --server ADDR[:PORT] --key FILE [--key-name NAME]\n"
             "                            [--timeout SECONDS] FILE\n"
             "       fastrblctl feed push --zone ZONE [--config FILE] [--db DIR] FILE\n\n"
             "Adds and deletes entries of the feed datasets of ZONE, one change per line of FILE (- for "
             "stdin):\n"
             "  add KEY [VALUE]   KEY: name, *.name, IPv4 or IPv6 address; VALUE: A[:TXT] or :A:TXT\n"
             "  del KEY           (# comments and blank lines are skipped)\n"
             "With --server: TSIG-signed DNS UPDATE messages (hmac-sha256, a key file as tsig-keygen writes\n"
             "it; the first key, or --key-name) over UDP to ADDR (port 53 by default; [v6]:port), at most\n"
             "about 1200 bytes each, one entry kind per message; each is one transaction on the server and\n"
             "must be answered NOERROR, else the push stops there (earlier messages stay applied).\n"
             "Without --server: applied to the LMDB store in one transaction per dataset of the feed "
             "config,\n"
             "with the origin update:local, then the datasets are rendered (fastrbld serves the change at "
             "its\n"
             "next reload check); there KEY may also be a prefix (1.2.3.0/24), a .suffix or an !exclusion.\n"
             "  --db DIR       default ") +
         zones::default_store_dir() + "\n  --config FILE  default " + kDefaultConfig +
         "\nExit status: 0 all applied, 1 refused or failed, 2 usage.\n";
}

struct Server {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

core::Result<Server> parse_server(const std::string& text) {
  std::string host = text, port = "53";
  if (text.starts_with("[")) {
    const std::size_t close = text.find(']');
    if (close == std::string::npos) return core::Status::error("bad --server `" + text + "'");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return core::Status::error("bad --server `" + text + "'");
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return core::Status::error("--server `" + text + "': " + ::gai_strerror(rc));
  Server s;
  std::memcpy(&s.addr, res->ai_addr, res->ai_addrlen);
  s.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return s;
}

// Sends `msg` and waits for the reply with the same ID (retrying twice).
core::Result<std::vector<std::uint8_t>> exchange(const Server& server, const std::vector<std::uint8_t>& msg,
                                                 int timeout_ms) {
  const int fd = ::socket(server.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::Status::error(std::string("socket: ") + std::strerror(errno));
  std::vector<std::uint8_t> buf(65535);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&server.addr), server.len) <
        0) {
      const int err = errno;
      ::close(fd);
      return core::Status::error(std::string("sending: ") + std::strerror(err));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n < static_cast<ssize_t>(core::kHeaderSize)) continue;
      if (buf[0] != msg[0] || buf[1] != msg[1] || (buf[2] & core::kFlagQR) == 0) continue;
      ::close(fd);
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
  }
  ::close(fd);
  return core::Status::error("no reply (3 tries)");
}

std::string rcode_text(std::uint8_t rcode) {
  static const char* names[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  return rcode < 11 ? names[rcode] : "rcode " + std::to_string(rcode);
}

int push_to_server(const std::vector<PushMessage>& messages, const Server& server, const core::TsigKey& key,
                   int timeout_ms, std::string_view file) {
  std::size_t applied = 0;
  for (const PushMessage& pm : messages) {
    std::vector<std::uint8_t> msg = pm.wire;
    core::TsigSignParams p;
    p.time_signed = static_cast<std::uint64_t>(std::time(nullptr));
    const std::vector<std::uint8_t> mac = core::sign_tsig(msg, key, p);
    const std::string lines = "lines " + std::to_string(pm.first_line) + "-" + std::to_string(pm.last_line);
    auto reply = exchange(server, msg, timeout_ms);
    if (!reply.is_ok())
      return fail(std::string(file) + " " + lines + ": " + std::string(reply.status().message()) + "; " +
                  std::to_string(applied) + " change(s) applied before");
    const std::vector<std::uint8_t>& r = reply.value();
    const std::uint8_t rcode = r[3] & core::kRcodeMask;
    core::TsigRecord rec;
    std::string tsig_note;
    if (core::find_tsig(r, &rec) == core::TsigFind::kFound) {
      if (rec.error != 0) {
        tsig_note = " (TSIG error " + std::to_string(rec.error) + ")";
      } else {
        const core::TsigCheck c = core::verify_tsig(r, rec, std::span(&key, 1), std::time(nullptr), mac);
        if (c.formerr || c.error != core::TsigError::kNone)
          return fail(std::string(file) + " " + lines + ": the reply's TSIG does not verify");
      }
    } else if (rcode == 0) {
      return fail(std::string(file) + " " + lines + ": the reply is not signed");
    }
    if (rcode != 0)
      return fail(std::string(file) + " " + lines + ": refused: " + rcode_text(rcode) + tsig_note + "; " +
                  std::to_string(applied) + " change(s) applied before");
    applied += pm.changes;
  }
  std::printf("%zu change(s) applied in %zu message(s)\n", applied, messages.size());
  return 0;
}

int push_local(const std::vector<PushLine>& lines, const std::string& zone, const std::string& config_path,
               const std::string& db, std::string_view file) {
  auto cfg = feeds::load_feed_config(config_path);
  if (!cfg.is_ok()) return fail(cfg.status().message());
  // Lines per dataset of the zone, by key kind.
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> per_dataset;
  for (const PushLine& l : lines) {
    const KeyKind k = key_kind(l.key);
    const feeds::DatasetKind dk = k == KeyKind::kIp4   ? feeds::DatasetKind::kIp4trie
                                  : k == KeyKind::kIp6 ? feeds::DatasetKind::kIp6trie
                                                       : feeds::DatasetKind::kDnset;
    const feeds::DatasetDef* d = cfg.value().dataset_for_zone(zone, dk);
    if (d == nullptr || !d->members.empty())
      return fail(where(file, l.line) + "zone " + zone + " has no " +
                  std::string(feeds::dataset_kind_name(dk)) + " feed dataset for `" + l.key + "'");
    auto& [adds, dels] = per_dataset[d->name];
    if (l.add) {
      adds.push_back(l.value.empty() ? l.key : l.key + " " + l.value);
    } else {
      dels.push_back(l.key);
    }
  }
  auto store = zones::Store::open({db.empty() ? zones::default_store_dir() : db});
  if (!store.is_ok()) return fail(store.status().message());
  auto fs = feeds::FeedStore::open(store.value(), std::move(cfg).value());
  if (!fs.is_ok()) return fail(fs.status().message());
  const std::int64_t now = std::time(nullptr);
  UpdateProcessor renderer({}, std::move(fs).value());  // no keys: only its render()
  std::size_t total = 0;
  for (const auto& [dataset, ad] : per_dataset) {
    auto r = renderer.feed_store().apply(dataset, ad.first, ad.second, "update:local", now);
    if (!r.is_ok())
      return fail(std::string(file) + ": dataset " + dataset + ": " + std::string(r.status().message()));
    const core::Status s = renderer.render(dataset, now);
    if (!s.is_ok())
      return fail("dataset " + dataset + ": committed, but rendering failed: " + std::string(s.message()));
    std::printf("dataset %s: %zu added, %zu deleted\n", dataset.c_str(), ad.first.size(), ad.second.size());
    total += ad.first.size() + ad.second.size();
  }
  std::printf("%zu change(s) applied\n", total);
  return 0;
}

}  // namespace

core::Result<std::vector<PushLine>> parse_push_batch(std::string_view text, std::string_view file) {
  std::vector<PushLine> out;
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (const std::size_t hash = line.find('#'); hash != std::string::npos) line = trim(line.substr(0, hash));
    if (line.empty()) continue;
    std::istringstream in(line);
    std::string verb, key, value, extra;
    in >> verb >> key;
    std::getline(in, value);
    value = trim(value);
    PushLine l;
    l.line = line_no;
    if (verb == "add") {
      l.add = true;
    } else if (verb == "del" || verb == "delete") {
      if (!value.empty()) return core::Status::error(where(file, line_no) + "`del' takes a key only");
    } else {
      return core::Status::error(where(file, line_no) + "expected `add KEY [VALUE]' or `del KEY', found `" +
                                 verb + "'");
    }
    if (key.empty()) return core::Status::error(where(file, line_no) + "`" + verb + "' needs a key");
    if (value.find_first_of(" \t") != std::string::npos && !value.starts_with(":") &&
        value.find(':') == std::string::npos)
      return core::Status::error(where(file, line_no) + "unexpected text after the value `" + value + "'");
    l.key = key;
    l.value = value;
    out.push_back(std::move(l));
  }
  return out;
}

core::Result<std::vector<PushMessage>> build_update_messages(const std::vector<PushLine>& lines,
                                                             std::string_view zone_text,
                                                             std::string_view file, std::size_t max_size) {
  auto zone = core::Name::from_text(zone_text);
  if (!zone.is_ok())
    return core::Status::error("zone `" + std::string(zone_text) +
                               "': " + std::string(zone.status().message()));
  std::vector<PushMessage> out;
  std::mt19937 rng(std::random_device{}());
  PushMessage cur;
  std::vector<std::uint8_t> records;
  KeyKind cur_kind = KeyKind::kName;
  auto flush = [&] {
    if (cur.changes == 0) return;
    cur.wire = message_start(zone.value(), static_cast<std::uint16_t>(rng()));
    core::store_u16(&cur.wire[8], static_cast<std::uint16_t>(count_records(records)));
    cur.wire.insert(cur.wire.end(), records.begin(), records.end());
    out.push_back(std::move(cur));
    cur = PushMessage{};
    records.clear();
  };
  const std::size_t base = message_start(zone.value(), 0).size();
  for (const PushLine& l : lines) {
    auto rrs = line_records(l, zone.value(), file);
    if (!rrs.is_ok()) return rrs.status();
    const KeyKind kind = key_kind(l.key);
    if (cur.changes > 0 && (kind != cur_kind || base + records.size() + rrs.value().size() > max_size))
      flush();
    if (base + rrs.value().size() > max_size)
      return core::Status::error(where(file, l.line) + "the change does not fit in one message");
    if (cur.changes == 0) cur.first_line = l.line;
    cur_kind = kind;
    records.insert(records.end(), rrs.value().begin(), rrs.value().end());
    cur.last_line = l.line;
    ++cur.changes;
  }
  flush();
  return out;
}

int feed_push_main(int argc, char** argv) {
  enum { kZone = 256, kServer, kKey, kKeyName, kConfig, kDb, kTimeout };
  const option longs[] = {{"zone", required_argument, nullptr, kZone},
                          {"server", required_argument, nullptr, kServer},
                          {"key", required_argument, nullptr, kKey},
                          {"key-name", required_argument, nullptr, kKeyName},
                          {"config", required_argument, nullptr, kConfig},
                          {"db", required_argument, nullptr, kDb},
                          {"timeout", required_argument, nullptr, kTimeout},
                          {"help", no_argument, nullptr, 'h'},
                          {nullptr, 0, nullptr, 0}};
  std::string zone, server, key_file, key_name, config = kDefaultConfig, db;
  int timeout_ms = 3000;
  ::optind = 3;
  ::opterr = 0;
  for (;;) {
    const int opt = ::getopt_long(argc, argv, ":h", longs, nullptr);
    if (opt == -1) break;
    switch (opt) {
      case 'h':
        std::fputs(push_usage().c_str(), stdout);
        return 0;
      case kZone:
        zone = ::optarg;
        break;
      case kServer:
        server = ::optarg;
        break;
      case kKey:
        key_file = ::optarg;
        break;
      case kKeyName:
        key_name = ::optarg;
        break;
      case kConfig:
        config = ::optarg;
        break;
      case kDb:
        db = ::optarg;
        break;
      case kTimeout: {
        const int t = std::atoi(::optarg);
        if (t <= 0) return usage_error("--timeout takes a number of seconds");
        timeout_ms = t * 1000;
        break;
      }
      case ':':
        return usage_error(std::string("option requires an argument: ") + argv[::optind - 1]);
      default:
        return usage_error(std::string("unknown option: ") + argv[::optind - 1]);
    }
  }
  if (::optind + 1 != argc) return usage_error("one batch FILE is needed");
  if (zone.empty()) return usage_error("--zone is needed");
  if (!server.empty() && key_file.empty()) return usage_error("--server needs --key");
  if (server.empty() && !key_file.empty()) return usage_error("--key is for --server");
  const std::string file = argv[::optind];
  std::string text;
  if (file == "-") {
    std::ostringstream b;
    b << std::cin.rdbuf();
    text = b.str();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail("file " + file + ": unable to open file: " + std::strerror(errno));
    std::ostringstream b;
    b << in.rdbuf();
    text = b.str();
  }
  auto lines = parse_push_batch(text, file);
  if (!lines.is_ok()) return fail(lines.status().message());
  if (server.empty()) return push_local(lines.value(), zone, config, db, file);

  auto keys = core::load_tsig_keys(key_file);
  if (!keys.is_ok()) return fail(keys.status().message());
  const core::TsigKey* key =
      key_name.empty() ? &keys.value()[0] : core::find_tsig_key(keys.value(), key_name);
  if (key == nullptr) return fail("file " + key_file + ": no key `" + key_name + "'");
  auto addr = parse_server(server);
  if (!addr.is_ok()) return usage_error(std::string(addr.status().message()));
  auto messages = build_update_messages(lines.value(), zone, file);
  if (!messages.is_ok()) return fail(messages.status().message());
  return push_to_server(messages.value(), addr.value(), *key, timeout_ms, file);
}

}  // namespace fastrbl::dnsd
