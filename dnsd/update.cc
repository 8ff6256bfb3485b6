#include "dnsd/update.h"

#include "core/dns.h"
#include "core/log.h"
#include "zones/store.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace fastrbl::dnsd {

namespace {

using core::TsigError;
using feeds::DatasetDef;
using feeds::DatasetKind;

constexpr std::uint16_t kClassNone = 254;

std::string update_rcode_name(std::uint8_t rcode) {
  switch (rcode) {
    case 0:
      return "NOERROR";
    case 1:
      return "FORMERR";
    case 2:
      return "SERVFAIL";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    case kRcodeNotAuth:
      return "NOTAUTH";
    case kRcodeNotZone:
      return "NOTZONE";
    default:
      return "rcode " + std::to_string(rcode);
  }
}

std::string tsig_error_name(TsigError e) {
  switch (e) {
    case TsigError::kNone:
      return "";
    case TsigError::kBadSig:
      return "BADSIG";
    case TsigError::kBadKey:
      return "BADKEY";
    case TsigError::kBadTime:
      return "BADTIME";
    case TsigError::kBadTrunc:
      return "BADTRUNC";
  }
  return "";
}

std::string type_name(std::uint16_t type) {
  switch (type) {
    case core::rrtype::kA:
      return "A";
    case core::rrtype::kNS:
      return "NS";
    case core::rrtype::kSOA:
      return "SOA";
    case core::rrtype::kMX:
      return "MX";
    case core::rrtype::kTXT:
      return "TXT";
    case core::rrtype::kAAAA:
      return "AAAA";
    case core::rrtype::kCNAME:
      return "CNAME";
    case core::rrtype::kANY:
      return "ANY";
    default:
      return "TYPE" + std::to_string(type);
  }
}

bool decimal_octet(const std::string& s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return std::stoi(s) <= 255;
}

bool hex_nibble(const std::string& s) {
  return s.size() == 1 && std::isxdigit(static_cast<unsigned char>(s[0]));
}

// The labels of `owner` below `zone` (both lowercase), leftmost first, as text.
std::vector<std::string> relative_labels(const core::Name& owner, const core::Name& zone) {
  std::vector<std::string> labels;
  const std::size_t n = owner.label_count() - zone.label_count();
  const std::uint8_t* p = owner.data();
  for (std::size_t i = 0; i < n; ++i) {
    labels.emplace_back(reinterpret_cast<const char*>(p + 1), p[0]);  // label bytes as text
    p += 1u + p[0];
  }
  return labels;
}

// What one owner name's records do, in message order (the last operation wins).
struct KeyChange {
  bool add = false;
  std::string a, txt;
};

std::vector<std::uint8_t> header_reply(std::span<const std::uint8_t> msg, std::uint8_t rcode,
                                       std::size_t zone_end) {
  std::vector<std::uint8_t> out(core::kHeaderSize, 0);
  out[0] = msg[0];
  out[1] = msg[1];
  out[2] = static_cast<std::uint8_t>(core::kFlagQR | (kOpcodeUpdate << 3));
  out[3] = rcode;
  if (zone_end > core::kHeaderSize) {  // echo the zone section (as BIND does)
    out.insert(out.end(), msg.begin() + core::kHeaderSize,
               msg.begin() + static_cast<std::ptrdiff_t>(zone_end));
    out[5] = 1;
  }
  return out;
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream b;
  b << in.rdbuf();
  *out = b.str();
  return true;
}

// A rendered file without its `# Rendered by ... at unix time N` line.
std::string without_render_stamp(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size() - 1;
    const std::string_view line(text.data() + pos, nl + 1 - pos);
    if (!line.starts_with("# Rendered by ")) out.append(line);
    pos = nl + 1;
  }
  return out;
}

std::string peer_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, &ss, sizeof sin);
    inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, &ss, sizeof sin6);
    inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// UpdateProcessor

UpdateProcessor::UpdateProcessor(std::vector<core::TsigKey> keys, std::unique_ptr<feeds::FeedStore> feeds)
    : keys_(std::move(keys)), feeds_(std::move(feeds)) {}

UpdateProcessor::~UpdateProcessor() = default;

UpdateResult UpdateProcessor::process(std::span<const std::uint8_t> msg, std::int64_t now) {
  UpdateResult r;
  if (msg.size() < core::kHeaderSize || (msg[2] & core::kFlagQR) != 0) {
    r.message = "not a request: dropped";
    return r;
  }
  const std::size_t zocount = core::load_u16(&msg[4]);
  const std::size_t prcount = core::load_u16(&msg[6]);
  const std::size_t upcount = core::load_u16(&msg[8]);

  // The zone section's extent, for the echo in every reply.
  std::size_t zone_end = 0;
  core::Name zone;
  std::uint16_t ztype = 0, zclass = 0;
  if (zocount == 1) {
    std::size_t after = 0;
    if (core::read_wire_name(msg, core::kHeaderSize, &zone, &after) && msg.size() - after >= 4) {
      zone_end = after + 4;
      ztype = core::load_u16(&msg[after]);
      zclass = core::load_u16(&msg[after + 2]);
      zone.to_lower();
    }
  }
  auto plain = [&](std::uint8_t rcode, std::string why) {
    r.rcode = rcode;
    r.reply = header_reply(msg, rcode, zone_end);
    r.message = update_rcode_name(rcode) + ": " + std::move(why);
    return r;
  };

  core::TsigRecord rec;
  const core::TsigFind found = core::find_tsig(msg, &rec);
  if (found == core::TsigFind::kMalformed) return plain(1, "malformed message");
  if (found == core::TsigFind::kAbsent) return plain(5, "unsigned (a TSIG key is required)");

  const core::TsigCheck check = core::verify_tsig(msg, rec, keys_, now);
  if (check.formerr) return plain(1, "malformed TSIG record (MAC size)");
  const std::string key_text = rec.key_name.to_text();
  if (check.error == TsigError::kBadKey || check.error == TsigError::kBadSig) {
    r = plain(kRcodeNotAuth, "TSIG " + tsig_error_name(check.error) + " (key " + key_text + ")");
    r.tsig_error = check.error;
    core::append_unsigned_tsig(r.reply, rec, check.error);
    return r;
  }
  r.key = check.key->name;
  // From here every reply is signed with the key, over the request's MAC.
  auto signed_reply = [&](std::uint8_t rcode, std::string why, TsigError err = TsigError::kNone) {
    r.rcode = rcode;
    r.tsig_error = err;
    r.reply = header_reply(msg, rcode, zone_end);
    core::TsigSignParams p;
    p.time_signed = static_cast<std::uint64_t>(now);
    p.fudge = core::kDefaultFudge;
    p.error = err;
    p.request_mac = rec.mac;
    if (err == TsigError::kBadTime) {  // RFC 8945 5.2.3: the request's time, ours in other data
      p.time_signed = rec.time_signed;
      for (int shift = 40; shift >= 0; shift -= 8) p.other.push_back(static_cast<std::uint8_t>(now >> shift));
    }
    core::sign_tsig(r.reply, *check.key, p);
    r.message = update_rcode_name(rcode) + (err != TsigError::kNone ? "/" + tsig_error_name(err) : "") +
                ": " + std::move(why);
    return r;
  };
  if (check.error == TsigError::kBadTime)
    return signed_reply(kRcodeNotAuth, "TSIG time outside the fudge (key " + r.key + ")",
                        TsigError::kBadTime);
  if (check.error == TsigError::kBadTrunc)
    return signed_reply(kRcodeNotAuth, "truncated TSIG MAC (key " + r.key + ")", TsigError::kBadTrunc);

  // Zone section (RFC 2136 3.1).
  if (zocount != 1 || zone_end == 0) return signed_reply(1, "the zone section must hold one record");
  if (ztype != core::rrtype::kSOA) return signed_reply(1, "the zone record must be of type SOA");
  const std::string zone_text = zone.to_text();
  if (zclass != core::rrclass::kIN)
    return signed_reply(kRcodeNotAuth, "zone " + zone_text + ": class is not IN");
  const feeds::FeedConfig& cfg = feeds_->config();
  auto own = [&](DatasetKind kind) -> const DatasetDef* {
    for (const DatasetDef& d : cfg.datasets)
      if (d.zone == zone_text && d.kind == kind && d.members.empty()) return &d;
    return nullptr;
  };
  const DatasetDef* dn = own(DatasetKind::kDnset);
  const DatasetDef* v4 = own(DatasetKind::kIp4trie);
  const DatasetDef* v6 = own(DatasetKind::kIp6trie);
  if (dn == nullptr && v4 == nullptr && v6 == nullptr)
    return signed_reply(kRcodeNotAuth, "zone " + zone_text + " is not a feed-backed zone of this server");

  // Prerequisites (3.2) are not evaluated: refused, documented (docs/UPDATE.md).
  if (prcount != 0) return signed_reply(5, "prerequisites are not supported");

  // Update section (3.4): A and TXT records of one dataset's entries.
  std::size_t pos = zone_end;
  const DatasetDef* target = nullptr;
  std::map<std::string, KeyChange> changes;
  for (std::size_t i = 0; i < upcount; ++i) {
    core::Name owner;
    std::size_t after = 0;
    if (!core::read_wire_name(msg, pos, &owner, &after) || msg.size() - after < 10)
      return signed_reply(1, "malformed update record");
    owner.to_lower();
    const std::uint16_t type = core::load_u16(&msg[after]);
    const std::uint16_t cls = core::load_u16(&msg[after + 2]);
    const std::uint32_t ttl = core::load_u32(&msg[after + 4]);
    const std::size_t rdlen = core::load_u16(&msg[after + 8]);
    const std::size_t rdata = after + 10;
    if (msg.size() - rdata < rdlen) return signed_reply(1, "malformed update record");
    pos = rdata + rdlen;
    const std::string owner_text = owner.to_text();
    if (!owner.is_subdomain_of(zone))
      return signed_reply(kRcodeNotZone, owner_text + " is outside zone " + zone_text);
    if (owner.label_count() == zone.label_count())
      return signed_reply(5, "the zone apex " + zone_text + " cannot be changed");
    if (cls != core::rrclass::kIN && cls != core::rrclass::kANY && cls != kClassNone)
      return signed_reply(1, owner_text + ": class " + std::to_string(cls) + " in the update section");
    if ((cls == core::rrclass::kANY || cls == kClassNone) && ttl != 0)
      return signed_reply(1, owner_text + ": a delete must have TTL 0");
    if (cls == core::rrclass::kANY && rdlen != 0)
      return signed_reply(1, owner_text + ": a delete must have no data");
    const bool any_type = cls == core::rrclass::kANY && type == core::rrtype::kANY;
    if (!any_type && type != core::rrtype::kA && type != core::rrtype::kTXT)
      return signed_reply(
          5, owner_text + ": type " + type_name(type) + " is not supported (only A and TXT entries)");

    // The entry key: the reversed address in an ip4trie/ip6trie zone, else the dnset name.
    const std::vector<std::string> labels = relative_labels(owner, zone);
    const DatasetDef* d = nullptr;
    std::string key;
    if (v4 != nullptr && labels.size() == 4 && std::all_of(labels.begin(), labels.end(), decimal_octet)) {
      d = v4;
      key = labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0];
    } else if (v6 != nullptr && labels.size() == 32 &&
               std::all_of(labels.begin(), labels.end(), hex_nibble)) {
      d = v6;
      for (std::size_t k = 0; k < 32; ++k) {
        key += labels[31 - k];
        if (k % 4 == 3 && k != 31) key += ':';
      }
    } else if (dn != nullptr) {
      d = dn;
      for (std::size_t k = 0; k < labels.size(); ++k) key += (k ? "." : "") + labels[k];
    } else {
      return signed_reply(5, owner_text + " is not an address entry of zone " + zone_text);
    }
    if (target != nullptr && target != d)
      return signed_reply(5,
                          "one UPDATE may change one dataset only (" + target->name + ", " + d->name + ")");
    target = d;

    KeyChange& c = changes[key];
    if (cls == core::rrclass::kIN) {
      if (!c.add) c = KeyChange{};
      c.add = true;
      const auto rd = msg.subspan(rdata, rdlen);
      if (type == core::rrtype::kA) {
        if (rdlen != 4) return signed_reply(1, owner_text + ": an A record has 4 bytes of data");
        c.a = std::to_string(rd[0]) + "." + std::to_string(rd[1]) + "." + std::to_string(rd[2]) + "." +
              std::to_string(rd[3]);
      } else {
        std::string txt;
        for (std::size_t k = 0; k < rd.size();) {
          const std::size_t len = rd[k];
          if (rd.size() - k - 1 < len) return signed_reply(1, owner_text + ": malformed TXT data");
          txt.append(reinterpret_cast<const char*>(rd.data() + k + 1), len);  // TXT bytes as text
          k += 1 + len;
        }
        c.txt = txt;
      }
    } else {
      c = KeyChange{};  // a delete of the name, an RRset or one RR: the entry goes
    }
  }
  if (target == nullptr) return signed_reply(0, "no update records: nothing to do");

  std::vector<std::string> adds, deletes;
  for (const auto& [key, c] : changes) {
    if (!c.add) {
      deletes.push_back(key);
      continue;
    }
    std::string line = key + " " + (c.a.empty() ? target->value : c.a);
    if (!c.txt.empty()) line += ":" + c.txt;
    adds.push_back(std::move(line));
  }
  for (const std::vector<std::string>* lines : {&adds, &deletes})
    for (const std::string& line : *lines) {
      auto k = feeds::parse_push_key(target->kind, line);
      if (!k.is_ok()) return signed_reply(5, std::string(k.status().message()));
    }
  auto applied = feeds_->apply(target->name, adds, deletes, "update:" + r.key, now);
  if (!applied.is_ok())
    return signed_reply(2, "dataset " + target->name + ": " + std::string(applied.status().message()));
  r.dataset = target->name;
  r.added = adds.size();
  r.deleted = deletes.size();
  const std::string what = "key " + r.key + ", dataset " + target->name + ": " + std::to_string(adds.size()) +
                           " added, " + std::to_string(deletes.size()) + " deleted";
  return signed_reply(0, what);
}

core::Status UpdateProcessor::render_one(const DatasetDef& d, std::int64_t now) {
  struct stat st {};
  std::int64_t old_mtime = -1;
  if (::stat(d.output.c_str(), &st) == 0) old_mtime = st.st_mtime;
  auto rep = feeds_->render(d.name, now);
  if (!rep.is_ok()) return rep.status();
  if (::stat(d.output.c_str(), &st) != 0) {
    const int err = errno;
    return core::Status::error(d.output + ": " + std::strerror(err));
  }
  std::int64_t want = st.st_mtime;
  if (want <= old_mtime) want = old_mtime + 1;
  auto it = last_mtime_.find(d.output);
  if (it != last_mtime_.end() && want <= it->second) want = it->second + 1;
  if (want != st.st_mtime) {
    const timespec times[2] = {{static_cast<time_t>(want), 0}, {static_cast<time_t>(want), 0}};
    if (::utimensat(AT_FDCWD, d.output.c_str(), times, 0) != 0) {
      const int err = errno;
      return core::Status::error(d.output + ": setting the mtime: " + std::strerror(err));
    }
  }
  last_mtime_[d.output] = want;
  return core::Status::ok();
}

core::Status UpdateProcessor::render(const std::string& dataset, std::int64_t now) {
  const feeds::FeedConfig& cfg = feeds_->config();
  const DatasetDef* d = cfg.dataset(dataset);
  if (d == nullptr) return core::Status::error("unknown dataset `" + dataset + "'");
  core::Status s = render_one(*d, now);
  if (!s.is_ok()) return s;
  for (const DatasetDef& m : cfg.datasets)
    for (const feeds::MultiMember& mm : m.members)
      if (mm.dataset == dataset) {
        s = render_one(m, now);
        if (!s.is_ok()) return s;
      }
  return core::Status::ok();
}

core::Result<std::size_t> UpdateProcessor::heal(const std::shared_ptr<zones::Store>& store,
                                                std::int64_t now) {
  std::size_t healed = 0;
  for (const DatasetDef& d : feeds_->config().datasets) {
    // Render into a scratch file next to the output and compare.
    feeds::FeedConfig scratch_cfg = feeds_->config();
    const std::string scratch = d.output + ".fastrbld-check";
    for (DatasetDef& s : scratch_cfg.datasets)
      if (s.name == d.name) s.output = scratch;
    auto scratch_store = feeds::FeedStore::open(store, std::move(scratch_cfg));
    if (!scratch_store.is_ok()) return scratch_store.status();
    auto rep = scratch_store.value()->render(d.name, now);
    if (!rep.is_ok()) {
      ::unlink(scratch.c_str());
      return core::Status::error("rendering dataset " + d.name + ": " + std::string(rep.status().message()));
    }
    std::string fresh, current;
    read_file(scratch, &fresh);
    const bool have = read_file(d.output, &current);
    if (have && without_render_stamp(fresh) == without_render_stamp(current)) {
      ::unlink(scratch.c_str());
      continue;
    }
    if (::rename(scratch.c_str(), d.output.c_str()) != 0) {
      const int err = errno;
      ::unlink(scratch.c_str());
      return core::Status::error(d.output + ": " + std::strerror(err));
    }
    FASTRBL_LOG_INFO("dataset %s: %s did not match the LMDB feed entries: rendered again", d.name.c_str(),
                     d.output.c_str());
    ++healed;
  }
  return healed;
}

// ---------------------------------------------------------------------------------------
// UpdateService

UpdateService::UpdateService(std::unique_ptr<UpdateProcessor> p)
    : processor_(std::move(p)), queue_(kMaxQueued), working_(kMaxQueued) {
  for (std::vector<Pending>* v : {&queue_, &working_})
    for (Pending& slot : *v) slot.bytes.reserve(core::kMaxEdnsPayload);
}

UpdateService::~UpdateService() = default;

core::Result<std::unique_ptr<UpdateService>> UpdateService::create(const std::string& feeds_path,
                                                                   const std::string& keys_path,
                                                                   std::shared_ptr<zones::Store> store) {
  auto cfg = feeds::load_feed_config(feeds_path);
  if (!cfg.is_ok()) return cfg.status();
  std::vector<core::TsigKey> keys;
  if (!keys_path.empty()) {
    auto k = core::load_tsig_keys(keys_path);
    if (!k.is_ok()) return k.status();
    keys = std::move(k).value();
  }
  auto fs = feeds::FeedStore::open(std::move(store), std::move(cfg).value());
  if (!fs.is_ok()) return fs.status();
  return std::unique_ptr<UpdateService>(
      new UpdateService(std::make_unique<UpdateProcessor>(std::move(keys), std::move(fs).value())));
}

core::Status UpdateService::start(uv_loop_t* loop, std::function<void()> changed) {
  changed_ = std::move(changed);
  const int err = uv_async_init(loop, &async_, on_async);
  if (err != 0) return core::Status::error(std::string("uv_async_init: ") + uv_strerror(err));
  async_.data = this;
  uv_timer_init(loop, &render_timer_);
  render_timer_.data = this;
  started_ = true;
  return core::Status::ok();
}

void UpdateService::close() noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  if (!started_) return;
  render_pending();
  for (auto* h : {reinterpret_cast<uv_handle_t*>(&async_), reinterpret_cast<uv_handle_t*>(&render_timer_)})
    if (!uv_is_closing(h)) uv_close(h, nullptr);  // libuv's handle base class
}

bool UpdateService::take(void* arg, std::size_t /*worker*/, int fd, std::span<const std::uint8_t> message,
                         const sockaddr* peer, socklen_t peer_len) noexcept {
  if (message.size() < core::kHeaderSize || ((message[2] & core::kOpcodeMask) >> 3) != kOpcodeUpdate)
    return false;  // other opcodes: the worker answers them as before (NOTIMP)
  auto* self = static_cast<UpdateService*>(arg);
  std::lock_guard<std::mutex> lock(self->mu_);
  if (self->closed_ || self->queued_ == kMaxQueued || message.size() > core::kMaxEdnsPayload ||
      peer_len > sizeof(sockaddr_storage)) {
    ++self->dropped_;
    return true;
  }
  Pending& slot = self->queue_[self->queued_++];
  slot.bytes.assign(message.begin(), message.end());  // within the reserved capacity
  std::memcpy(&slot.peer, peer, peer_len);
  slot.peer_len = peer_len;
  slot.fd = fd;
  uv_async_send(&self->async_);
  return true;
}

void UpdateService::on_async(uv_async_t* async) noexcept {
  static_cast<UpdateService*>(async->data)->drain();
}

void UpdateService::drain() {
  std::uint64_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(queue_, working_);
    working_n_ = queued_;
    queued_ = 0;
    dropped = dropped_;
    dropped_ = 0;
  }
  if (dropped > 0)
    FASTRBL_LOG_WARN("update: %llu message(s) dropped (queue full or oversized)",
                     static_cast<unsigned long long>(dropped));
  for (std::size_t i = 0; i < working_n_; ++i) {
    Pending& p = working_[i];
    UpdateResult r;
    try {
      r = processor_->process(p.bytes, static_cast<std::int64_t>(std::time(nullptr)));
    } catch (const std::exception& e) {  // allocation failure and the like: answer nothing
      FASTRBL_LOG_ERROR("update from %s: %s", peer_text(p.peer).c_str(), e.what());
      continue;
    }
    ++processed_;
    if (!r.reply.empty()) {
      const ssize_t n = ::sendto(p.fd, r.reply.data(), r.reply.size(), MSG_DONTWAIT,
                                 reinterpret_cast<const sockaddr*>(&p.peer), p.peer_len);  // sockaddr "base"
      if (n < 0) {
        const int err = errno;
        FASTRBL_LOG_WARN("update from %s: sending the reply: %s", peer_text(p.peer).c_str(),
                         std::strerror(err));
      }
    }
    if (r.dataset.empty() && r.rcode != 0) {
      FASTRBL_LOG_WARN("update from %s refused: %s", peer_text(p.peer).c_str(), r.message.c_str());
    } else {
      FASTRBL_LOG_INFO("update from %s: %s", peer_text(p.peer).c_str(), r.message.c_str());
    }
    if (!r.dataset.empty()) dirty_.insert(r.dataset);
  }
  working_n_ = 0;
  auto* t = reinterpret_cast<uv_handle_t*>(&render_timer_);  // libuv's handle base class
  if (!dirty_.empty() && uv_is_active(t) == 0)
    uv_timer_start(&render_timer_, on_render_timer, kRenderDelayMs, 0);
}

void UpdateService::on_render_timer(uv_timer_t* timer) noexcept {
  static_cast<UpdateService*>(timer->data)->render_pending();
}

void UpdateService::render_pending() {
  if (dirty_.empty()) return;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (const std::string& d : dirty_) {
    core::Status s;
    try {
      s = processor_->render(d, now);
    } catch (const std::exception& e) {
      s = core::Status::error(e.what());
    }
    if (!s.is_ok())  // committed already: the next render, or the next start, writes it
      FASTRBL_LOG_ERROR("update: dataset %s: rendering failed: %.*s", d.c_str(),
                        static_cast<int>(s.message().size()), s.message().data());
  }
  dirty_.clear();
  if (changed_) changed_();
}

}  // namespace fastrbl::dnsd
