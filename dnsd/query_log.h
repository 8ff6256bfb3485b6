#pragma once
// The query log (-l [+]file|-): one line per reply sent, in rbldnsd's format (compat §2.6):
//
//   1795333501 127.0.0.1 1.0.1.10.Bl.Example TXT IN: NXDOMAIN/0/99
//
// (unix time, client address, the question name in the case it was sent and escaped as
// rbldnsd's dns_dntop, type and class names from rbldnsd's table, then
// RCODE/ANCOUNT/reply-length). Nothing is logged for a dropped query.
//
// QueryLogFile (control thread) owns the descriptor: opened with
// O_WRONLY|O_APPEND|O_CREAT|O_NONBLOCK, mode 0644, as rbldnsd. reopen() (SIGHUP) opens the
// file anew and dup2()s it over the same descriptor number, so the workers keep writing
// to fd() without being told. When the file cannot be opened the descriptor number is
// kept (on /dev/null) and logging is switched off until a reopen succeeds.
// QueryLogWriter (one per worker) formats lines into a fixed buffer, allocated once, and
// writes whole lines with write(2): when the buffer is nearly full, on flush() (the
// worker's periodic timer and its exit), and after every batch when unbuffered (`+`).
// Thread safety: QueryLogFile: control thread, except fd() and active(), which any thread
// may call. QueryLogWriter: its worker's thread only.

#include "core/dns.h"
#include "dnsd/stats.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace fastrbl::dnsd {

/// rbldnsd's name for a query type ("A", "NSAP_PTR", "ZXFR"...), or nullptr (then
/// written "type<N>").
const char* query_type_name(std::uint16_t type) noexcept;
/// rbldnsd's name for a class ("INVALID" for 0, "IN", "CH", "HS", "ANY"), or nullptr
/// (then written "class<N>").
const char* query_class_name(std::uint16_t qclass) noexcept;
/// rbldnsd's name for the 4-bit header rcode ("NOTIMPL" for 4), or nullptr (then
/// written "rcode<N>").
const char* rcode_name(std::uint8_t rcode) noexcept;

/// One reply, as the query log sees it.
struct LogEntry {
  std::time_t time = 0;
  const sockaddr* peer = nullptr;       // the client (IPv4 or IPv6); null: "?"
  const std::uint8_t* qname = nullptr;  // the uncompressed question name in the packet
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::uint8_t rcode = 0;  // the header rcode (low 4 bits)
  std::uint16_t ancount = 0;
  std::size_t length = 0;  // reply length in bytes
};

/// The longest line format_log_line() writes.
inline constexpr std::size_t kMaxLogLine = 1280;

/// Writes one log line, '\n' included, into `out`; returns its length.
/// Requires: out.size() >= kMaxLogLine; e.qname is a valid uncompressed wire name.
std::size_t format_log_line(const LogEntry& e, std::span<char, kMaxLogLine> out) noexcept;

class QueryLogFile {
 public:
  QueryLogFile() = default;
  ~QueryLogFile();
  QueryLogFile(const QueryLogFile&) = delete;
  QueryLogFile& operator=(const QueryLogFile&) = delete;

  /// Opens `name` ("-": standard output). `unbuffered`: each batch is written at once.
  /// A file that cannot be opened is reported (rbldnsd's warning) and logging stays off
  /// until reopen() succeeds; the server keeps running.
  void open(const std::string& name, bool unbuffered);
  /// SIGHUP: opens the file again (after log rotation) under the same descriptor number.
  /// Standard output is left as is.
  void reopen();

  bool enabled() const noexcept { return fd_ >= 0; }
  bool unbuffered() const noexcept { return unbuffered_; }
  int fd() const noexcept { return fd_; }
  /// False while the file could not be opened: lines are not written.
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }

 private:
  int open_file() const;  // a new descriptor for name_, or -1 with errno set

  std::string name_;
  bool unbuffered_ = false;
  bool is_stdout_ = false;
  int fd_ = -1;
  std::atomic<bool> active_{false};
};

class QueryLogWriter {
 public:
  static constexpr std::size_t kBufferSize = 64 * 1024;

  /// Requires: file.enabled(); `file` outlives the writer.
  explicit QueryLogWriter(const QueryLogFile& file);
  QueryLogWriter(const QueryLogWriter&) = delete;
  QueryLogWriter& operator=(const QueryLogWriter&) = delete;

  /// Formats one line into the buffer (writing the buffer out first if it is nearly full).
  void add(const LogEntry& e) noexcept;
  /// End of a batch: writes the buffer when unbuffered.
  void end_batch() noexcept {
    if (unbuffered_) flush();
  }
  /// Writes out everything buffered (whole lines; lines that cannot be written because
  /// the descriptor would block, or fails, are dropped and counted).
  void flush() noexcept;
  std::size_t pending() const noexcept { return used_; }
  /// Lines dropped by failed writes.
  const Counter& dropped() const noexcept { return dropped_; }

 private:
  const QueryLogFile& file_;
  const bool unbuffered_;
  std::unique_ptr<char[]> buf_;
  std::size_t used_ = 0;
  Counter dropped_;
};

}  // namespace fastrbl::dnsd
