#pragma once
// Reading rbldnsd data files: the line reader and the per-load warning context.
//
// DataFile streams one file line by line, with constant memory whatever the file size:
// gzip input (first bytes 1f 8b) is inflated on the fly with zlib, lines end at '\n', a
// trailing '\r' is dropped (CRLF files work: a deliberate fix, line numbers still count
// '\n'), lines longer than kMaxLineLength are cut with a warning and the rest of them is
// skipped, a last line without '\n' is used, spaces and tabs are stripped at both ends,
// and a line is cut at a NUL byte (rbldnsd reads C strings). Classifying lines (comments,
// specials, entries) is the DatasetReader's job.
//
// LoadDiagnostics is rbldnsd's per-dataset-load context: warnings print as
// `file NAME(LINE): message`, only the first kMaxPrintedWarnings of one load, and
// finish() reports how many were suppressed. Errors are not logged here: they become the
// Status of the load, with the same `file NAME(LINE): ` prefix.
//
// Ownership: a DataFile owns its descriptor and buffers; the line views it returns point
// into its buffer and stay valid until the next call. Thread safety: both types belong
// to the one thread doing the load.

#include "core/status.h"

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::loader {

/// Longest line kept; longer lines are truncated ("long line (truncated)").
inline constexpr std::size_t kMaxLineLength = 32 * 1024;
/// Warnings printed per dataset load before they are only counted.
inline constexpr std::size_t kMaxPrintedWarnings = 5;

/// What a successful read saw of one file (for change detection and zone stamps).
struct FileStamp {
  std::string path;
  std::time_t mtime = 0;
  std::uint64_t size = 0;
};

class LoadDiagnostics {
 public:
  /// `type` and `spec` name the dataset in messages outside any file ("ip4set:a.txt").
  LoadDiagnostics(std::string type, std::string spec);

  /// Sets the file that messages refer to and resets the line number to 0.
  void set_file(std::string_view name);
  /// Leaves file context: messages then name the dataset.
  void clear_file();
  void set_line(std::size_t line) noexcept { line_ = line; }
  std::size_t line() const noexcept { return line_; }
  const std::string& type() const noexcept { return type_; }
  const std::string& spec() const noexcept { return spec_; }

  /// Logs a warning with the current position (only the first kMaxPrintedWarnings).
  void warn(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  /// The message with the current position prefixed, for an error Status.
  std::string format(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));
  /// Logs "TYPE:SPEC: N more warnings suppressed" if warnings were suppressed. Call once,
  /// when the load succeeded (as rbldnsd does).
  void finish();

  std::size_t warnings() const noexcept { return warnings_; }
  /// The prefix "TYPE:SPEC:" used for dataset-level lines (spec cut at 60 chars).
  std::string dataset_prefix() const;

 private:
  std::string prefix() const;

  std::string type_, spec_;
  std::string file_;
  bool in_file_ = false;
  std::size_t line_ = 0;
  std::size_t warnings_ = 0;
};

class DataFile {
 public:
  enum class Read { kLine, kEnd, kError };

  ~DataFile();
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;

  /// Opens `path` and detects gzip. Errors (as rbldnsd words them, prefixed with
  /// `file NAME: `): "unable to open file: <errno text>", "file is compressed,
  /// decompression disabled" (no_gzip), "error reading file: ...".
  static core::Result<std::unique_ptr<DataFile>> open(const std::string& path, bool no_gzip);

  /// Reads the next line into *line (stripped as described above; may be empty) and
  /// sets diag's line number. kEnd at end of file; kError with *error set (a read or
  /// gzip error: "file NAME: error reading file: ..."). Warns "long line (truncated)"
  /// through diag. The view is valid until the next call.
  Read next(std::string_view* line, LoadDiagnostics& diag, core::Status* error);

  /// After kEnd: checks that the file did not change (mtime, size) while it was read
  /// (rbldnsd's "file changed while we where reading it, data load aborted", then, after
  /// a '\n', its advice line "do not write data files directly, use temp file and
  /// rename(2) instead", each prefixed `file NAME: ` as rbldnsd logs them).
  core::Status finish();

  const FileStamp& stamp() const noexcept { return stamp_; }
  bool compressed() const noexcept { return gz_ != nullptr; }

 private:
  struct Gz;
  DataFile() = default;
  // Appends decoded bytes to buf_ (after end_). Returns bytes added, 0 at end, -1 on error.
  long fill(std::string* error);
  long read_raw(char* dst, std::size_t n, std::string* error);

  int fd_ = -1;
  FileStamp stamp_;
  std::unique_ptr<Gz> gz_;
  std::vector<char> buf_;  // decoded bytes [begin_, end_) not yet returned
  std::size_t begin_ = 0, end_ = 0;
  std::vector<char> raw_;  // compressed input (gzip only)
  bool eof_ = false;
  bool discarding_ = false;  // skipping the rest of a truncated line
  std::size_t lineno_ = 0;
};

}  // namespace fastrbl::loader
