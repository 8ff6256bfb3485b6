#include "dnsd/query_log.h"

#include "core/dname.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

namespace fastrbl::dnsd {

namespace {

// rbldnsd's type table (checked against the Debian binary for every type 0..65535).
constexpr std::array<const char*, 42> kTypesLow{
    "INVALID", "A",        "NS",    "MD",    "MF",   "CNAME", "SOA",   "MB",    "MG",  "MR",   "NULL",
    "WKS",     "PTR",      "HINFO", "MINFO", "MX",   "TXT",   "RP",    "AFSDB", "X25", "ISDN", "RT",
    "NSAP",    "NSAP_PTR", "SIG",   "KEY",   "PX",   "GPOS",  "AAAA",  "LOC",   "NXT", "EID",  "NIMLOC",
    "SRV",     "ATMA",     "NAPTR", "KX",    "CERT", "A6",    "DNAME", "SINK",  "OPT"};
constexpr std::array<const char*, 7> kTypesHigh{"TSIG", "IXFR", "AXFR", "MAILB", "MAILA", "ANY", "ZXFR"};
constexpr std::uint16_t kTypesHighFirst = 250;

constexpr std::array<const char*, 11> kRcodes{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                              "NOTIMPL", "REFUSED", "YXDOMAIN", "YXRRSET",
                                              "NXRRSET", "NOTAUTH", "NOTZONE"};

// Appends to a fixed buffer; callers size the buffer for the worst case.
class LineBuf {
 public:
  explicit LineBuf(std::span<char> out) : out_(out) {}
  void put(char c) noexcept {
    if (n_ < out_.size()) out_[n_++] = c;
  }
  void put(std::string_view s) noexcept {
    const std::size_t k = std::min(s.size(), out_.size() - n_);
    std::memcpy(out_.data() + n_, s.data(), k);
    n_ += k;
  }
  void put_uint(std::uint64_t v) noexcept {
    std::array<char, 24> d{};
    const auto r = std::to_chars(d.data(), d.data() + d.size(), v);
    put(std::string_view(d.data(), static_cast<std::size_t>(r.ptr - d.data())));
  }
  void put_name(const char* name, const char* prefix, unsigned code) noexcept {
    if (name != nullptr) {
      put(name);
    } else {
      put(prefix);
      put_uint(code);
    }
  }
  std::span<char> rest() noexcept { return out_.subspan(n_); }
  void advance(std::size_t k) noexcept { n_ += std::min(k, out_.size() - n_); }
  std::size_t size() const noexcept { return n_; }

 private:
  std::span<char> out_;
  std::size_t n_ = 0;
};

// The client address as getnameinfo(NI_NUMERICHOST) writes it for IP addresses.
void put_peer(LineBuf& b, const sockaddr* peer) noexcept {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const char* r = nullptr;
  std::uint32_t scope = 0;
  if (peer != nullptr && peer->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, peer, sizeof sin);
    r = inet_ntop(AF_INET, &sin.sin_addr, text.data(), static_cast<socklen_t>(text.size()));
  } else if (peer != nullptr && peer->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, peer, sizeof sin6);
    r = inet_ntop(AF_INET6, &sin6.sin6_addr, text.data(), static_cast<socklen_t>(text.size()));
    scope = sin6.sin6_scope_id;
  }
  if (r == nullptr) {
    b.put('?');
    return;
  }
  b.put(std::string_view(r));
  if (scope != 0) {  // numeric, where getnameinfo would name the interface
    b.put('%');
    b.put_uint(scope);
  }
}

}  // namespace

const char* query_type_name(std::uint16_t type) noexcept {
  if (type < kTypesLow.size()) return kTypesLow[type];
  if (type >= kTypesHighFirst && type - kTypesHighFirst < static_cast<int>(kTypesHigh.size()))
    return kTypesHigh[type - kTypesHighFirst];
  return nullptr;
}

const char* query_class_name(std::uint16_t qclass) noexcept {
  switch (qclass) {
    case 0:
      return "INVALID";
    case core::rrclass::kIN:
      return "IN";
    case core::rrclass::kCH:
      return "CH";
    case 4:
      return "HS";
    case core::rrclass::kANY:
      return "ANY";
    default:
      return nullptr;
  }
}

const char* rcode_name(std::uint8_t rcode) noexcept {
  return rcode < kRcodes.size() ? kRcodes[rcode] : nullptr;
}

std::size_t format_log_line(const LogEntry& e, std::span<char, kMaxLogLine> out) noexcept {
  LineBuf b(out);
  b.put_uint(static_cast<std::uint64_t>(e.time < 0 ? 0 : e.time));
  b.put(' ');
  put_peer(b, e.peer);
  b.put(' ');
  b.advance(core::name_to_text(e.qname, b.rest()));
  b.put(' ');
  b.put_name(query_type_name(e.qtype), "type", e.qtype);
  b.put(' ');
  b.put_name(query_class_name(e.qclass), "class", e.qclass);
  b.put(": ");
  const std::uint8_t rcode = e.rcode & 0x0f;
  b.put_name(rcode_name(rcode), "rcode", rcode);
  b.put('/');
  b.put_uint(e.ancount);
  b.put('/');
  b.put_uint(e.length);
  b.put('\n');
  return b.size();
}

// ---- QueryLogFile

QueryLogFile::~QueryLogFile() {
  if (fd_ >= 0 && !is_stdout_) ::close(fd_);
}

int QueryLogFile::open_file() const {
  return ::open(name_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
}

void QueryLogFile::open(const std::string& name, bool unbuffered) {
  name_ = name;
  unbuffered_ = unbuffered;
  if (name == "-") {
    is_stdout_ = true;
    fd_ = STDOUT_FILENO;
    active_.store(true, std::memory_order_relaxed);
    return;
  }
  fd_ = open_file();
  if (fd_ >= 0) {
    active_.store(true, std::memory_order_relaxed);
    return;
  }
  const int err = errno;
  FASTRBL_LOG_WARN("error (re)opening logfile `%.50s': %s", name_.c_str(), std::strerror(err));
  // Keep a descriptor number for the workers; reopen() puts the file over it.
  fd_ = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
}

void QueryLogFile::reopen() {
  if (fd_ < 0 || is_stdout_) return;
  const int nfd = open_file();
  if (nfd < 0) {
    const int err = errno;
    active_.store(false, std::memory_order_relaxed);
    FASTRBL_LOG_WARN("error (re)opening logfile `%.50s': %s", name_.c_str(), std::strerror(err));
    return;
  }
  // dup2 replaces the descriptor atomically: a worker's write goes to the old file or the
  // new one, never to a closed or reused descriptor.
  if (::dup2(nfd, fd_) < 0) {
    const int err = errno;
    FASTRBL_LOG_WARN("error (re)opening logfile `%.50s': %s", name_.c_str(), std::strerror(err));
  } else {
    active_.store(true, std::memory_order_relaxed);
  }
  ::close(nfd);
}

// ---- QueryLogWriter

QueryLogWriter::QueryLogWriter(const QueryLogFile& file)
    : file_(file), unbuffered_(file.unbuffered()), buf_(std::make_unique<char[]>(kBufferSize)) {}

void QueryLogWriter::add(const LogEntry& e) noexcept {
  if (kBufferSize - used_ < kMaxLogLine) flush();
  used_ += format_log_line(e, std::span<char, kMaxLogLine>(buf_.get() + used_, kMaxLogLine));
}

void QueryLogWriter::flush() noexcept {
  if (used_ == 0) return;
  std::size_t done = 0;
  if (file_.active()) {
    while (done < used_) {
      const ssize_t w = ::write(file_.fd(), buf_.get() + done, used_ - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        break;  // EAGAIN (a full pipe), EIO, ENOSPC...: the rest is dropped
      }
      done += static_cast<std::size_t>(w);
    }
  }
  if (done < used_) {
    // Count the lines not written in full.
    std::size_t lost = 0;
    for (std::size_t i = done; i < used_; ++i)
      if (buf_[i] == '\n') ++lost;
    dropped_.add(lost);
  }
  used_ = 0;
}

}  // namespace fastrbl::dnsd
