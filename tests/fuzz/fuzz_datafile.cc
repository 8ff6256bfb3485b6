// libFuzzer target for the data-file parser: input bytes -> one rbldnsd data file -> the
// loader -> a snapshot -> a few queries through dnsd::answer().
//
// The first input byte picks the dataset type (modulo the nine rbldnsd types); the rest is
// the file, written to a temporary file and loaded the way the server loads it, next to a
// fixed generic dataset (so that an acl file has a zone to guard). A load may fail (that is
// a Status, not a crash); a load that succeeds is queried for an address, a name, the apex
// and an IPv6 nibble name, which runs every index the type built. Warnings are discarded.
// Replayed over tests/fuzz/corpus/datafile by replay_main.cc in every build.

#include "core/log.h"
#include "dnsd/query.h"
#include "loader/load.h"

#include <arpa/inet.h>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace core = fastrbl::core;
namespace dnsd = fastrbl::dnsd;

constexpr std::array<const char*, 9> kTypes = {"ip4set", "ip4tset", "ip4trie",  "ip6tset", "ip6trie",
                                               "dnset",  "generic", "combined", "acl"};

struct Files {
  std::string dir, data, base;
  Files() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fastrbl-fuzz-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    data = dir + "/data";
    base = dir + "/base";
    std::ofstream(base) << "@ A 127.0.0.1\nwww TXT base\n";
    core::set_log_sink([](core::LogLevel, const char*) {});
  }
  ~Files() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::vector<std::uint8_t> query(const std::string& name, std::uint16_t qtype) {
  std::vector<std::uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.push_back(static_cast<std::uint8_t>(qtype >> 8));
  q.push_back(static_cast<std::uint8_t>(qtype));
  q.push_back(0);
  q.push_back(1);
  return q;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Files files;
  if (size == 0) return 0;
  const char* type = kTypes[data[0] % kTypes.size()];
  {
    std::ofstream out(files.data, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  const std::vector<std::string> specs = {std::string("fz.example:") + type + ":" + files.data,
                                          "fz.example:generic:" + files.base};
  fastrbl::loader::LoadOptions opts;
  opts.now = 1700000000;
  auto snap = fastrbl::loader::load_snapshot(specs, opts);
  if (!snap.is_ok()) return 0;

  static const std::array<std::vector<std::uint8_t>, 6> kQueries = {
      query("2.0.0.127.fz.example", 255),
      query("2.0.0.127.fz.example", 16),
      query("www.example.com.fz.example", 255),
      query("fz.example", 255),
      query("0.127.fz.example", 1),
      query("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.fz.example", 255)};
  std::vector<std::uint8_t> out(dnsd::kTcpOutSize);
  dnsd::WorkerState ws;
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_addr.s_addr = htonl(0x7f000001);
  for (const auto& q : kQueries) {
    for (auto t : {dnsd::Transport::kUdp, dnsd::Transport::kTcp}) {
      dnsd::AnswerInfo info;
      const std::size_t n =
          dnsd::answer(*snap.value(), {}, q, out, t, reinterpret_cast<const sockaddr*>(&peer), ws, &info);
      if (n > out.size()) std::abort();
    }
  }
  return 0;
}
