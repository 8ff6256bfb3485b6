#pragma once
// TempDir: a temporary directory for tests, removed with everything in it when the object
// goes. Files are written verbatim or gzip-compressed, optionally with a chosen mtime.
// Test-only code: it allocates freely. Thread safety: one object per test.

#include <zlib.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <sys/time.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace fastrbl::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fastrbl-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* p = ::mkdtemp(buf.data());
    path_ = p != nullptr ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

  /// Writes `content` verbatim; returns the full path.
  std::string write(std::string_view name, std::string_view content, std::time_t mtime = 0) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));
    if (mtime != 0) set_mtime(p, mtime);
    return p;
  }
  /// Writes `content` gzip-compressed; returns the full path.
  std::string write_gz(std::string_view name, std::string_view content, std::time_t mtime = 0) const {
    const std::string p = file(name);
    gzFile gz = gzopen(p.c_str(), "wb");
    gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
    gzclose(gz);
    if (mtime != 0) set_mtime(p, mtime);
    return p;
  }
  static void set_mtime(const std::string& p, std::time_t t) {
    std::array<timeval, 2> tv{};
    tv[0].tv_sec = t;
    tv[1].tv_sec = t;
    ::utimes(p.c_str(), tv.data());
  }

 private:
  std::string path_;
};

}  // namespace fastrbl::testing
