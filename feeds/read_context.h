#pragma once
// Internal to feeds/: the bookkeeping every reader shares (line iteration, counts,
// diagnostics with their cap, token parsing into entries). Not installed, not used
// outside feeds/*.cc. One ReadContext per read() call; not shared between threads.

#include "feeds/entry.h"
#include "feeds/reader.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace fastrbl::feeds::detail {

/// Calls fn(line_number, line) for each line of `data`: lines end at '\n', a trailing
/// '\r' is dropped, blanks are stripped at both ends, a UTF-8 BOM at the start is
/// skipped, and a last line without '\n' counts.
void for_each_line(std::string_view data, const std::function<void(std::size_t, std::string_view)>& fn);

/// `s' quoted as messages quote: `s'.
std::string quote(std::string_view s);

/// Drops spaces and tabs at both ends.
std::string_view trim(std::string_view s) noexcept;

class ReadContext {
 public:
  ReadContext(std::string_view file, const ReadOptions& options, std::string_view implied_provider = {});

  const ReadOptions& options() const noexcept { return options_; }
  void set_line(std::size_t line) noexcept { line_ = line; }
  std::size_t line() const noexcept { return line_; }

  /// A bad line: counted, and its message kept (up to the cap).
  void error(std::string message);
  /// A line deliberately not used: counted as ignored, with its reason.
  void note(std::string message);
  /// A bad source: error() and the result marked incomplete.
  void fatal(std::string message);

  /// Adds entries produced by the current line and counts it as good. Sets each entry's
  /// line and fills an empty provider.
  void add(std::vector<DomainEntry> domains, std::vector<IpEntry> ips);
  void add(DomainEntry domain) { add({std::move(domain)}, {}); }
  void add(IpEntry ip) { add({}, {std::move(ip)}); }

  /// Metadata with the provider filled in.
  Metadata meta() const;

  ReadResult& result() noexcept { return result_; }
  ReadResult take() { return std::move(result_); }

 private:
  void message(Diagnostic::Severity severity, std::string text);

  const ReadOptions& options_;
  std::string file_;
  std::string provider_;
  std::size_t line_ = 0;
  ReadResult result_;
};

/// What a token of a list format is: `[!]` then an IP prefix, or a name in one of the
/// dnset spellings `d`, `*.d`, `.d` (`d` takes `bare_form`).
struct TokenEntry {
  bool is_ip = false;
  DomainEntry domain;
  IpEntry ip;
};
enum class TokenKinds : std::uint8_t { kAny, kIpOnly, kNameOnly };
/// Adds the token's entry (IP or domain) to `ctx` with `meta`.
inline void add_token(ReadContext& ctx, TokenEntry&& t, Metadata meta) {
  if (t.is_ip) {
    t.ip.meta = std::move(meta);
    ctx.add(std::move(t.ip));
  } else {
    t.domain.meta = std::move(meta);
    ctx.add(std::move(t.domain));
  }
}
/// Parses one token into an entry; the error message names the token.
core::Result<TokenEntry> parse_token(std::string_view token, DomainForm bare_form, HostBits host_bits,
                                     TokenKinds kinds = TokenKinds::kAny);

// The readers, one factory per source file (text_readers.cc, rbldnsd_reader.cc,
// rpz_reader.cc, json_readers.cc); make_reader() dispatches to them.
std::unique_ptr<Reader> make_list_reader(const ReadOptions& options, TokenKinds kinds, std::string provider);
std::unique_ptr<Reader> make_hosts_reader(const ReadOptions& options);
std::unique_ptr<Reader> make_adblock_reader(const ReadOptions& options);
std::unique_ptr<Reader> make_csv_reader(const ReadOptions& options);
std::unique_ptr<Reader> make_rbldnsd_reader(const ReadOptions& options, Format format);
std::unique_ptr<Reader> make_rpz_reader(const ReadOptions& options);
std::unique_ptr<Reader> make_json_reader(const ReadOptions& options, Format format);

}  // namespace fastrbl::feeds::detail
