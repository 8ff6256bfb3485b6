#include "loader/data_file.h"

#include "core/log.h"

#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fastrbl::loader {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kMaxNameShown = 60;  // rbldnsd prints names with %.60s

std::string shown(std::string_view s) { return std::string(s.substr(0, kMaxNameShown)); }

std::string vformat(const char* fmt, va_list ap) {
  std::array<char, 1024> buf{};
  int n = std::vsnprintf(buf.data(), buf.size(), fmt, ap);
  if (n < 0) return {};
  return std::string(buf.data(),
                     static_cast<std::size_t>(n) < buf.size() ? static_cast<std::size_t>(n) : buf.size() - 1);
}

std::string errno_text(int err) { return std::strerror(err); }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

// ---------------------------------------------------------------------------------------
// LoadDiagnostics

LoadDiagnostics::LoadDiagnostics(std::string type, std::string spec)
    : type_(std::move(type)), spec_(std::move(spec)) {}

void LoadDiagnostics::set_file(std::string_view name) {
  file_ = shown(name);
  in_file_ = true;
  line_ = 0;
}

void LoadDiagnostics::clear_file() {
  in_file_ = false;
  line_ = 0;
}

std::string LoadDiagnostics::dataset_prefix() const { return type_ + ":" + shown(spec_) + ":"; }

std::string LoadDiagnostics::prefix() const {
  if (!in_file_) return dataset_prefix() + " ";
  if (line_ == 0) return "file " + file_ + ": ";
  return "file " + file_ + "(" + std::to_string(line_) + "): ";
}

void LoadDiagnostics::warn(const char* fmt, ...) {
  if (++warnings_ > kMaxPrintedWarnings) return;
  va_list ap;
  va_start(ap, fmt);
  std::string msg = vformat(fmt, ap);
  va_end(ap);
  FASTRBL_LOG_WARN("%s%s", prefix().c_str(), msg.c_str());
}

std::string LoadDiagnostics::format(const char* fmt, ...) const {
  va_list ap;
  va_start(ap, fmt);
  std::string msg = vformat(fmt, ap);
  va_end(ap);
  return prefix() + msg;
}

void LoadDiagnostics::finish() {
  if (warnings_ > kMaxPrintedWarnings)
    FASTRBL_LOG_WARN("%s %zu more warnings suppressed", dataset_prefix().c_str(),
                     warnings_ - kMaxPrintedWarnings);
}

// ---------------------------------------------------------------------------------------
// DataFile

struct DataFile::Gz {
  z_stream zs{};
  bool initialized = false;
  bool raw_eof = false;  // no more compressed input
  bool done = false;     // end of the (single) gzip member
  ~Gz() {
    if (initialized) inflateEnd(&zs);
  }
};

DataFile::~DataFile() {
  if (fd_ >= 0) ::close(fd_);
}

long DataFile::read_raw(char* dst, std::size_t n, std::string* error) {
  for (;;) {
    ssize_t r = ::read(fd_, dst, n);
    if (r >= 0) return static_cast<long>(r);
    const int err = errno;
    if (err == EINTR) continue;
    *error = "error reading file: " + errno_text(err);
    return -1;
  }
}

core::Result<std::unique_ptr<DataFile>> DataFile::open(const std::string& path, bool no_gzip) {
  const std::string where = "file " + shown(path) + ": ";
  std::unique_ptr<DataFile> f(new DataFile());
  f->stamp_.path = path;
  f->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd_ < 0) {
    const int err = errno;
    return core::Status::error(where + "unable to open file: " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(f->fd_, &st) < 0) {
    const int err = errno;
    return core::Status::error(where + "unable to open file: " + errno_text(err));
  }
  f->stamp_.mtime = st.st_mtime;
  f->stamp_.size = static_cast<std::uint64_t>(st.st_size);
  f->buf_.resize(kMaxLineLength + 2 * kChunk);

  // Look at the first two bytes for the gzip magic.
  std::string error;
  while (f->end_ < 2) {
    long r = f->read_raw(f->buf_.data() + f->end_, kChunk - f->end_, &error);
    if (r < 0) return core::Status::error(where + error);
    if (r == 0) {
      f->eof_ = true;
      break;
    }
    f->end_ += static_cast<std::size_t>(r);
  }
  if (f->end_ >= 2 && static_cast<unsigned char>(f->buf_[0]) == 0x1f &&
      static_cast<unsigned char>(f->buf_[1]) == 0x8b) {
    if (no_gzip) return core::Status::error(where + "file is compressed, decompression disabled");
    f->gz_ = std::make_unique<Gz>();
    f->raw_.assign(f->buf_.begin(), f->buf_.begin() + static_cast<std::ptrdiff_t>(f->end_));
    f->raw_.resize(kChunk);
    f->gz_->raw_eof = f->eof_;
    f->eof_ = false;
    z_stream& zs = f->gz_->zs;
    zs.next_in = reinterpret_cast<Bytef*>(f->raw_.data());  // NOLINT: zlib takes bytes
    zs.avail_in = static_cast<uInt>(f->end_);
    f->end_ = 0;
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)  // gzip wrapper only
      return core::Status::error(where + "error reading file: cannot initialise zlib");
    f->gz_->initialized = true;
  }
  return f;
}

long DataFile::fill(std::string* error) {
  char* dst = buf_.data() + end_;
  const std::size_t room = buf_.size() - end_;
  if (!gz_) return read_raw(dst, room < kChunk ? room : kChunk, error);

  Gz& gz = *gz_;
  if (gz.done) return 0;
  z_stream& zs = gz.zs;
  zs.next_out = reinterpret_cast<Bytef*>(dst);  // NOLINT: zlib takes bytes
  zs.avail_out = static_cast<uInt>(room);
  for (;;) {
    if (zs.avail_in == 0 && !gz.raw_eof) {
      long r = read_raw(raw_.data(), raw_.size(), error);
      if (r < 0) return -1;
      if (r == 0) gz.raw_eof = true;
      zs.next_in = reinterpret_cast<Bytef*>(raw_.data());  // NOLINT: zlib takes bytes
      zs.avail_in = static_cast<uInt>(r);
    }
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const auto produced = static_cast<long>(room - zs.avail_out);
    if (rc == Z_STREAM_END) {  // one member only, as rbldnsd; trailing bytes are ignored
      gz.done = true;
      return produced;
    }
    if (rc == Z_OK || (rc == Z_BUF_ERROR && zs.avail_in == 0 && !gz.raw_eof)) {
      if (produced > 0) return produced;
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      *error = "error reading file: unexpected end of compressed data";
    } else {
      *error = std::string("error reading file: invalid compressed data") +
               (zs.msg ? std::string(": ") + zs.msg : "");
    }
    return -1;
  }
}

DataFile::Read DataFile::next(std::string_view* line, LoadDiagnostics& diag, core::Status* error) {
  std::size_t scan = begin_;  // bytes before it are known to hold no '\n'
  bool truncated = false;
  for (;;) {
    const char* base = buf_.data();
    const void* nl = scan < end_ ? std::memchr(base + scan, '\n', end_ - scan) : nullptr;
    if (nl != nullptr) {
      const auto pos = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
      const std::size_t start = begin_;
      begin_ = scan = pos + 1;
      if (discarding_) {  // the tail of a truncated line
        discarding_ = false;
        continue;
      }
      if (pos - start > kMaxLineLength) {
        *line = std::string_view(base + start, kMaxLineLength);
        truncated = true;
      } else {
        *line = std::string_view(base + start, pos - start);
        if (!line->empty() && line->back() == '\r') line->remove_suffix(1);  // CRLF
      }
      break;
    }
    if (discarding_) {
      begin_ = end_ = scan = 0;  // drop the tail read so far
    } else if (end_ - begin_ > kMaxLineLength) {
      *line = std::string_view(base + begin_, kMaxLineLength);
      begin_ = scan = end_;
      discarding_ = true;
      truncated = true;
      break;
    } else if (eof_ && end_ > begin_) {
      *line = std::string_view(base + begin_, end_ - begin_);  // last line without '\n'
      begin_ = scan = end_;
      break;
    }
    if (eof_) return Read::kEnd;
    if (begin_ > 0) {  // make room: move the partial line to the front
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      scan -= begin_;
      begin_ = 0;
    }
    std::string err;
    const long r = fill(&err);
    if (r < 0) {
      diag.set_line(0);  // rbldnsd names the file only
      *error = core::Status::error(diag.format("%s", err.c_str()));
      return Read::kError;
    }
    if (r == 0) eof_ = true;
    end_ += static_cast<std::size_t>(r);
  }
  diag.set_line(++lineno_);
  if (truncated) diag.warn("long line (truncated)");
  // rbldnsd sees C strings: a NUL ends the line.
  if (const void* z = std::memchr(line->data(), '\0', line->size()))
    *line = line->substr(0, static_cast<std::size_t>(static_cast<const char*>(z) - line->data()));
  while (!line->empty() && is_blank(line->front())) line->remove_prefix(1);
  while (!line->empty() && is_blank(line->back())) line->remove_suffix(1);
  return Read::kLine;
}

core::Status DataFile::finish() {
  struct stat st {};
  if (::fstat(fd_, &st) < 0) {
    const int err = errno;
    return core::Status::error("file " + shown(stamp_.path) + ": error reading file: " + errno_text(err));
  }
  if (st.st_mtime != stamp_.mtime || static_cast<std::uint64_t>(st.st_size) != stamp_.size)
    return core::Status::error(
        "file " + shown(stamp_.path) + ": file changed while we where reading it, data load aborted\nfile " +
        shown(stamp_.path) + ": do not write data files directly, use temp file and rename(2) instead");
  return core::Status::ok();
}

}  // namespace fastrbl::loader
