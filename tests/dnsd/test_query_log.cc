// Table-driven tests of the query log (dnsd/query_log.h, compat §2.6): the line format
// with rbldnsd's escaping and type/class/rcode names (every expected line below was
// written by Debian's rbldnsd for the same query), and the file handling: buffering,
// unbuffered batches, reopen after rotation, a file that cannot be opened.

#include "dnsd/query_log.h"
#include "support/peer_address.h"
#include "support/temp_dir.h"
#include "support/wire_name.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

using fastrbl::dnsd::format_log_line;
using fastrbl::dnsd::kMaxLogLine;
using fastrbl::dnsd::LogEntry;
using fastrbl::dnsd::query_class_name;
using fastrbl::dnsd::query_type_name;
using fastrbl::dnsd::QueryLogFile;
using fastrbl::dnsd::QueryLogWriter;
using fastrbl::dnsd::rcode_name;
using fastrbl::testing::TempDir;
using fastrbl::testing::wire_name;

namespace {

using Peer = fastrbl::testing::PeerAddress;

std::string line(const std::string& peer, const std::vector<std::string>& labels, std::uint16_t type,
                 std::uint16_t qclass, std::uint8_t rcode, std::uint16_t an, std::size_t len) {
  const Peer p(peer);
  const auto name = wire_name(labels);
  LogEntry e;
  e.time = 1795349558;
  e.peer = p.sa();
  e.qname = name.data();
  e.qtype = type;
  e.qclass = qclass;
  e.rcode = rcode;
  e.ancount = an;
  e.length = len;
  std::array<char, kMaxLogLine> buf{};
  return std::string(buf.data(), format_log_line(e, buf));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LogEntry entry(const std::vector<std::uint8_t>& name, std::size_t len) {
  LogEntry e;
  e.time = 1795349558;
  e.qname = name.data();
  e.qtype = 1;
  e.qclass = 1;
  e.length = len;
  return e;
}

}  // namespace

TEST_CASE("query log: lines as rbldnsd writes them", "[querylog]") {
  struct Row {
    std::string want;
    std::string got;
  };
  const std::vector<Row> rows = {
      {"1795349558 127.0.0.1 2.0.0.127.bl.example A IN: NOERROR/1/71\n",
       line("127.0.0.1", {"2", "0", "0", "127", "bl", "example"}, 1, 1, 0, 1, 71)},
      // The case the client sent is kept.
      {"1795349558 127.0.0.1 1.0.0.10.Bl.Example TXT IN: NOERROR/1/82\n",
       line("127.0.0.1", {"1", "0", "0", "10", "Bl", "Example"}, 16, 1, 0, 1, 82)},
      {"1795349558 127.0.0.1 3.0.0.127.bl.example A IN: NXDOMAIN/0/88\n",
       line("127.0.0.1", {"3", "0", "0", "127", "bl", "example"}, 1, 1, 3, 0, 88)},
      {"1795349558 127.0.0.1 foo.other A IN: REFUSED/0/27\n",
       line("127.0.0.1", {"foo", "other"}, 1, 1, 5, 0, 27)},
      {"1795349558 127.0.0.1 version.bind TXT CH: NOERROR/1/77\n",
       line("127.0.0.1", {"version", "bind"}, 16, 3, 0, 1, 77)},
      {"1795349558 127.0.0.1 1.0.0.10.bl.example type257 IN: NOTIMPL/0/37\n",
       line("127.0.0.1", {"1", "0", "0", "10", "bl", "example"}, 257, 1, 4, 0, 37)},
      {"1795349558 127.0.0.1 we\\032ird.bl.example A IN: NXDOMAIN/0/85\n",
       line("127.0.0.1", {"we ird", "bl", "example"}, 1, 1, 3, 0, 85)},
      // Escaping: a backslash before \ " ; @ $ and '.', \DDD for <= 0x20 and >= 0x7f.
      {"1795349558 127.0.0.1 a\\\\b.c\\\"d\\;e\\@f\\$g(h)\\127\\255\\000.gen.t TXT IN: NXDOMAIN/0/84\n",
       line("127.0.0.1", {"a\\b", std::string("c\"d;e@f$g(h)\x7f\xff\0", 15), "gen", "t"}, 16, 1, 3, 0, 84)},
      {"1795349558 127.0.0.1 a\\.b.t A IN: NXDOMAIN/0/40\n", line("127.0.0.1", {"a.b", "t"}, 1, 1, 3, 0, 40)},
      {"1795349558 127.0.0.1 . NS IN: REFUSED/0/17\n", line("127.0.0.1", {}, 2, 1, 5, 0, 17)},
      {"1795349558 127.0.0.1 www.gen.t A INVALID: REFUSED/0/27\n",
       line("127.0.0.1", {"www", "gen", "t"}, 1, 0, 5, 0, 27)},
      {"1795349558 127.0.0.1 www.gen.t A HS: REFUSED/0/27\n",
       line("127.0.0.1", {"www", "gen", "t"}, 1, 4, 5, 0, 27)},
      {"1795349558 127.0.0.1 www.gen.t A class254: REFUSED/0/27\n",
       line("127.0.0.1", {"www", "gen", "t"}, 1, 254, 5, 0, 27)},
      {"1795349558 127.0.0.1 2.0.0.127.bl.example A ANY: NOERROR/1/71\n",
       line("127.0.0.1", {"2", "0", "0", "127", "bl", "example"}, 1, 255, 0, 1, 71)},
      {"1795349558 ::1 x.t A IN: SERVFAIL/0/30\n", line("::1", {"x", "t"}, 1, 1, 2, 0, 30)},
      {"1795349558 ::ffff:127.0.0.1 x.t AAAA IN: FORMERR/0/30\n",
       line("::ffff:127.0.0.1", {"x", "t"}, 28, 1, 1, 0, 30)},
      {"1795349558 127.0.0.1 x.t A IN: rcode11/0/30\n", line("127.0.0.1", {"x", "t"}, 1, 1, 11, 0, 30)},
  };
  for (const Row& r : rows) CHECK(r.got == r.want);
}

TEST_CASE("query log: the longest name fits in one line", "[querylog]") {
  // 4 labels of 63 bytes, each byte written as \DDD.
  const std::vector<std::string> labels(4, std::string(63, '\x01'));
  const std::string l =
      line("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", labels, 65535, 65535, 15, 65535, 65535);
  CHECK(l.size() <= kMaxLogLine);
  const std::string tail = " type65535 class65535: rcode15/65535/65535\n";
  REQUIRE(l.size() > tail.size());
  CHECK(l.substr(l.size() - tail.size()) == tail);
  CHECK(l.find(std::string(4, '.')) == std::string::npos);
  CHECK(l.find("\\001\\001") != std::string::npos);
}

TEST_CASE("query log: rbldnsd's type, class and rcode names", "[querylog]") {
  struct Row {
    unsigned code;
    const char* name;  // nullptr: written with a number
  };
  const std::vector<Row> types = {
      {0, "INVALID"}, {1, "A"},        {2, "NS"},      {5, "CNAME"},     {6, "SOA"},     {12, "PTR"},
      {15, "MX"},     {16, "TXT"},     {21, "RT"},     {23, "NSAP_PTR"}, {24, "SIG"},    {25, "KEY"},
      {28, "AAAA"},   {29, "LOC"},     {33, "SRV"},    {38, "A6"},       {39, "DNAME"},  {40, "SINK"},
      {41, "OPT"},    {42, nullptr},   {43, nullptr},  {99, nullptr},    {249, nullptr}, {250, "TSIG"},
      {251, "IXFR"},  {252, "AXFR"},   {253, "MAILB"}, {254, "MAILA"},   {255, "ANY"},   {256, "ZXFR"},
      {257, nullptr}, {65535, nullptr}};
  for (const Row& r : types) {
    INFO("type " << r.code);
    const char* got = query_type_name(static_cast<std::uint16_t>(r.code));
    if (r.name == nullptr) {
      CHECK(got == nullptr);
    } else {
      REQUIRE(got != nullptr);
      CHECK(std::string(got) == r.name);
    }
  }
  const std::vector<Row> classes = {{0, "INVALID"}, {1, "IN"},      {2, nullptr}, {3, "CH"},
                                    {4, "HS"},      {254, nullptr}, {255, "ANY"}, {65535, nullptr}};
  for (const Row& r : classes) {
    INFO("class " << r.code);
    const char* got = query_class_name(static_cast<std::uint16_t>(r.code));
    if (r.name == nullptr) {
      CHECK(got == nullptr);
    } else {
      REQUIRE(got != nullptr);
      CHECK(std::string(got) == r.name);
    }
  }
  const std::vector<Row> rcodes = {{0, "NOERROR"}, {1, "FORMERR"}, {2, "SERVFAIL"}, {3, "NXDOMAIN"},
                                   {4, "NOTIMPL"}, {5, "REFUSED"}, {6, "YXDOMAIN"}, {7, "YXRRSET"},
                                   {8, "NXRRSET"}, {9, "NOTAUTH"}, {10, "NOTZONE"}, {11, nullptr},
                                   {15, nullptr}};
  for (const Row& r : rcodes) {
    INFO("rcode " << r.code);
    const char* got = rcode_name(static_cast<std::uint8_t>(r.code));
    if (r.name == nullptr) {
      CHECK(got == nullptr);
    } else {
      REQUIRE(got != nullptr);
      CHECK(std::string(got) == r.name);
    }
  }
}

TEST_CASE("query log file: buffered until flushed, unbuffered per batch", "[querylog]") {
  TempDir dir;
  const auto name = wire_name({"x", "t"});
  SECTION("buffered") {
    QueryLogFile file;
    file.open(dir.file("q.log"), false);
    REQUIRE(file.active());
    struct stat st {};
    REQUIRE(::stat(dir.file("q.log").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    QueryLogWriter w(file);
    w.add(entry(name, 30));
    w.end_batch();
    CHECK(read_file(dir.file("q.log")).empty());
    w.flush();
    CHECK(read_file(dir.file("q.log")) == "1795349558 ? x.t A IN: NOERROR/0/30\n");
  }
  SECTION("unbuffered (+)") {
    QueryLogFile file;
    file.open(dir.file("q.log"), true);
    QueryLogWriter w(file);
    w.add(entry(name, 30));
    w.add(entry(name, 31));
    w.end_batch();
    CHECK(read_file(dir.file("q.log")) ==
          "1795349558 ? x.t A IN: NOERROR/0/30\n1795349558 ? x.t A IN: NOERROR/0/31\n");
  }
  SECTION("appends to an existing file") {
    dir.write("q.log", "old line\n");
    QueryLogFile file;
    file.open(dir.file("q.log"), true);
    QueryLogWriter w(file);
    w.add(entry(name, 30));
    w.end_batch();
    CHECK(read_file(dir.file("q.log")) == "old line\n1795349558 ? x.t A IN: NOERROR/0/30\n");
  }
  SECTION("a full buffer is written in whole lines") {
    QueryLogFile file;
    file.open(dir.file("q.log"), false);
    QueryLogWriter w(file);
    const std::size_t per_line = std::string("1795349558 ? x.t A IN: NOERROR/0/30\n").size();
    std::size_t added = 0;
    while (read_file(dir.file("q.log")).empty()) {
      w.add(entry(name, 30));
      ++added;
      REQUIRE(added < QueryLogWriter::kBufferSize);
    }
    const std::string written = read_file(dir.file("q.log"));
    CHECK(written.size() % per_line == 0);
    CHECK(written.back() == '\n');
    CHECK(written.size() + w.pending() == added * per_line);
  }
}

TEST_CASE("query log file: reopen after rotation keeps the descriptor number", "[querylog]") {
  TempDir dir;
  const auto name = wire_name({"x", "t"});
  QueryLogFile file;
  file.open(dir.file("q.log"), true);
  const int fd = file.fd();
  QueryLogWriter w(file);
  w.add(entry(name, 1));
  w.end_batch();
  REQUIRE(std::rename(dir.file("q.log").c_str(), dir.file("q.log.1").c_str()) == 0);
  w.add(entry(name, 2));  // still the old file until the reopen
  w.end_batch();
  file.reopen();
  CHECK(file.fd() == fd);
  w.add(entry(name, 3));
  w.end_batch();
  CHECK(read_file(dir.file("q.log.1")) ==
        "1795349558 ? x.t A IN: NOERROR/0/1\n1795349558 ? x.t A IN: NOERROR/0/2\n");
  CHECK(read_file(dir.file("q.log")) == "1795349558 ? x.t A IN: NOERROR/0/3\n");
}

TEST_CASE("query log file: a file that cannot be opened turns logging off until a reopen works",
          "[querylog]") {
  TempDir dir;
  const auto name = wire_name({"x", "t"});
  const std::string path = dir.file("sub/q.log");
  QueryLogFile file;
  file.open(path, true);  // warns: error (re)opening logfile `...': No such file or directory
  CHECK(file.enabled());
  CHECK_FALSE(file.active());
  QueryLogWriter w(file);
  w.add(entry(name, 1));
  w.end_batch();
  CHECK(w.dropped().get() == 1);
  REQUIRE(::mkdir(dir.file("sub").c_str(), 0755) == 0);
  file.reopen();
  CHECK(file.active());
  w.add(entry(name, 2));
  w.end_batch();
  CHECK(read_file(path) == "1795349558 ? x.t A IN: NOERROR/0/2\n");
}
