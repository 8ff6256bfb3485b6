// Tests for loader::DataFile (line reading, gzip, CRLF, long lines) and
// loader::LoadDiagnostics (warning format and the five-warning limit).

#include "loader/data_file.h"
#include "tests/loader/loader_test_util.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace fastrbl::loader {
namespace {

using testing::LogCapture;
using testing::TempDir;
using Lines = std::vector<std::string>;

struct ReadAll {
  Lines lines;
  std::vector<std::size_t> numbers;
  core::Status error;
};

ReadAll read_all(const std::string& path, bool no_gzip = false) {
  ReadAll r;
  LoadDiagnostics diag("ip4set", "spec");
  diag.set_file(path);
  auto f = DataFile::open(path, no_gzip);
  if (!f.is_ok()) {
    r.error = f.status();
    return r;
  }
  std::string_view line;
  for (;;) {
    DataFile::Read rr = f.value()->next(&line, diag, &r.error);
    if (rr != DataFile::Read::kLine) break;
    r.lines.emplace_back(line);
    r.numbers.push_back(diag.line());
  }
  if (r.error.is_ok()) r.error = f.value()->finish();
  return r;
}

TEST_CASE("data file: lines are split on LF, stripped, CR dropped, last line kept", "[data_file]") {
  TempDir dir;
  struct Row {
    std::string content;
    Lines lines;
  };
  const std::vector<Row> rows = {
      {"a\nb\n", {"a", "b"}},
      {"a\nb", {"a", "b"}},                          // last line without newline is used
      {"a\r\nb\r\n", {"a", "b"}},                    // CRLF (a deliberate fix)
      {"  a \t\n\t b\t\r\n", {"a", "b"}},            // blanks at both ends
      {"\n\n  \n", {"", "", ""}},                    // empty lines are returned, numbered
      {"a\rb\n", {"a\rb"}},                          // a CR inside a line stays
      {std::string("ab\0cd\nx\n", 8), {"ab", "x"}},  // NUL ends the line
      {"", {}},
      {"x", {"x"}},
      {"1.2.3.4 \r\n", {"1.2.3.4"}},
  };
  for (const Row& r : rows) {
    ReadAll got = read_all(dir.write("f", r.content));
    INFO("content: " << r.content);
    CHECK(got.error.is_ok());
    CHECK(got.lines == r.lines);
  }
}

TEST_CASE("data file: line numbers count LF only", "[data_file]") {
  TempDir dir;
  ReadAll got = read_all(dir.write("f", "a\r\n\r\nb\nc"));
  CHECK(got.lines == Lines{"a", "", "b", "c"});
  CHECK(got.numbers == std::vector<std::size_t>{1, 2, 3, 4});
}

TEST_CASE("data file: long lines are truncated with a warning, the rest skipped", "[data_file]") {
  TempDir dir;
  LogCapture log;
  const std::string longline(kMaxLineLength + 100, 'x');
  const std::string exact(kMaxLineLength, 'y');
  ReadAll got = read_all(dir.write("f", "first\n" + longline + "\n" + exact + "\nlast\n"));
  REQUIRE(got.lines.size() == 4);
  CHECK(got.lines[0] == "first");
  CHECK(got.lines[1] == std::string(kMaxLineLength, 'x'));
  CHECK(got.lines[2] == exact);  // exactly the limit is not truncated
  CHECK(got.lines[3] == "last");
  CHECK(got.numbers == std::vector<std::size_t>{1, 2, 3, 4});
  CHECK(log.warnings(dir.path() + "/") == Lines{"file f(2): long line (truncated)"});
}

TEST_CASE("data file: a very long last line without newline", "[data_file]") {
  TempDir dir;
  LogCapture log;
  ReadAll got = read_all(dir.write("f", "a\n" + std::string(3 * kMaxLineLength, 'z')));
  REQUIRE(got.lines.size() == 2);
  CHECK(got.lines[1].size() == kMaxLineLength);
  CHECK(log.warnings().size() == 1);
}

TEST_CASE("data file: gzip input is detected by its magic and inflated", "[data_file]") {
  TempDir dir;
  std::string big;
  for (int i = 0; i < 50000; ++i)
    big += "10.0." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + "\n";
  ReadAll got = read_all(dir.write_gz("f.gz", "a\r\nb\n" + big + "last"));
  CHECK(got.error.is_ok());
  REQUIRE(got.lines.size() == 50003);
  CHECK(got.lines[0] == "a");
  CHECK(got.lines[2] == "10.0.0.0");
  CHECK(got.lines.back() == "last");
  // The name does not matter, only the bytes.
  ReadAll plain = read_all(dir.write("plain.gz", "x\n"));
  CHECK(plain.lines == Lines{"x"});
}

TEST_CASE("data file: errors name the file", "[data_file]") {
  TempDir dir;
  struct Row {
    std::string path;
    bool no_gzip;
    std::string message;
  };
  const std::string gz = dir.write_gz("c.gz", "1.2.3.4\n");
  std::string truncated;
  {
    std::ifstream in(gz, std::ios::binary);
    truncated.assign(std::istreambuf_iterator<char>(in), {});
    truncated.resize(truncated.size() / 2);
  }
  const std::string trunc = dir.write("t.gz", truncated);
  const std::string garbage = dir.write("g.gz", std::string("\x1f\x8bgarbage-garbage-garbage"));
  const std::vector<Row> rows = {
      {dir.file("missing"), false, "file missing: unable to open file: No such file or directory"},
      {gz, true, "file c.gz: file is compressed, decompression disabled"},
      {trunc, false, "file t.gz: error reading file: unexpected end of compressed data"},
      {garbage, false, "file g.gz: error reading file: invalid compressed data"},
  };
  for (const Row& r : rows) {
    ReadAll got = read_all(r.path, r.no_gzip);
    std::string msg(got.error.message());
    const std::string strip = dir.path() + "/";
    if (msg.find(strip) != std::string::npos) msg.erase(msg.find(strip), strip.size());
    INFO(r.path);
    CHECK(msg.rfind(r.message, 0) == 0);
  }
}

TEST_CASE("diagnostics: format, position and the five-warning limit", "[data_file]") {
  LogCapture log;
  LoadDiagnostics d("ip4set", "a.txt,b.txt");
  d.set_file("a.txt");
  d.set_line(3);
  d.warn("invalid address");
  d.set_line(0);
  d.warn("no line %d", 7);
  d.set_file("b.txt");
  for (int i = 1; i <= 6; ++i) {
    d.set_line(static_cast<std::size_t>(i));
    d.warn("w%d", i);
  }
  CHECK(d.format("boom") == "file b.txt(6): boom");
  d.clear_file();
  CHECK(d.format("x") == "ip4set:a.txt,b.txt: x");
  d.finish();
  CHECK(d.warnings() == 8);
  CHECK(log.warnings() == Lines{"file a.txt(3): invalid address", "file a.txt: no line 7",
                                "file b.txt(1): w1", "file b.txt(2): w2", "file b.txt(3): w3",
                                "ip4set:a.txt,b.txt: 3 more warnings suppressed"});
}

TEST_CASE("diagnostics: no suppressed line at five warnings or fewer, long names cut at 60", "[data_file]") {
  LogCapture log;
  const std::string name(70, 'n');
  LoadDiagnostics d("ip4set", name);
  d.set_file(name);
  for (int i = 0; i < 5; ++i) d.warn("w");
  d.finish();
  const Lines w = log.warnings();
  REQUIRE(w.size() == 5);
  CHECK(w[0] == "file " + std::string(60, 'n') + ": w");
  CHECK(d.dataset_prefix() == "ip4set:" + std::string(60, 'n') + ":");
}

}  // namespace
}  // namespace fastrbl::loader
