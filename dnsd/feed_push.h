#pragma once
// `fastrblctl feed push FILE`: batches of adds and deletes of feed entries, sent to a
// server as TSIG-signed DNS UPDATE messages, or applied to the LMDB store directly
// (docs/UPDATE.md "fastrblctl feed push").
//
// The batch format, one change per line (`#` comments and blank lines skipped):
//   add KEY [VALUE]    KEY: name, *.name, IPv4 or IPv6 address (locally also .name,
//                      prefixes and !exclusions); VALUE: A[:TXT] or :A:TXT (as data files)
//   del KEY
// parse_push_batch() reads it; build_update_messages() turns it into UPDATE messages.
// Not thread-safe where it prints (a command-line entry point); the builders are pure.

#include "core/status.h"
#include "core/tsig.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::dnsd {

struct PushLine {
  bool add = false;
  std::string key;    ///< as written
  std::string value;  ///< `A[:TXT]`, `:A[:TXT]` or empty
  std::size_t line = 0;
};

/// Parses a batch; errors read `file FILE(LINE): message`.
core::Result<std::vector<PushLine>> parse_push_batch(std::string_view text, std::string_view file);

/// One UPDATE message and the batch lines it carries.
struct PushMessage {
  std::vector<std::uint8_t> wire;  ///< unsigned (sign with core::sign_tsig before sending)
  std::size_t first_line = 0, last_line = 0;
  std::size_t changes = 0;
};

/// Maps every line to update RRs of `zone` (an address key to its reversed name, a name
/// to name.zone) and packs them into messages of at most `max_size` bytes before signing,
/// one entry kind (names, IPv4, IPv6) per message since one UPDATE changes one dataset.
/// Errors (a key that cannot be written as an owner name, a bad value) name the line.
core::Result<std::vector<PushMessage>> build_update_messages(const std::vector<PushLine>& lines,
                                                             std::string_view zone, std::string_view file,
                                                             std::size_t max_size = 1200);

/// `fastrblctl feed push ...`; argv[1] is "feed", argv[2] "push". Exit status: 0 every
/// change applied, 1 a refused message, a network, data or store error, 2 a usage error.
int feed_push_main(int argc, char** argv);

}  // namespace fastrbl::dnsd
