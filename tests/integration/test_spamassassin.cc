// A real client: SpamAssassin (the Debian package) with URIBL rules pointing at the zones of
// the shipped feeds (etc/feeds/feeds.toml, imported offline with `fastrblctl feed import`
// and served by fastrbld from the rendered files). A message with a URL-shortener link, one
// with an ESP click-tracking link and one with a domain under an abused TLD each hit their
// rule and their bit of the SURBL-style multi zone; a clean message hits none.
// SpamAssassin's own resolver (Net::DNS) asks fastrbld on loopback (`dns_server`); no other
// network is used.

#include "server_process.h"

#include <catch2/catch.hpp>

#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fastrbl::test {
namespace {

constexpr const char* kSpamAssassin = "/usr/bin/spamassassin";

// The rules an operator would write (docs/feeds or etc/feeds/README.md): urirhssub asks
// for the registrable domain of every URI host; `notrim` asks for the whole host name,
// which the ESP list needs (click-tracking hosts sit under the ESP's own domain).
std::string rules(std::uint16_t port) {
  std::string r;
  r += "include /usr/share/spamassassin/20_aux_tlds.cf\n";
  r += "dns_server 127.0.0.1:" + std::to_string(port) + "\n";
  r += "dns_available yes\n";
  r += "add_header all Tests _TESTS_\n";
  const auto rule = [&r](const std::string& name, const std::string& zone, const std::string& sub,
                         const std::string& flags) {
    r += "urirhssub " + name + " " + zone + ". A " + sub + "\n";
    r += "body " + name + " eval:check_uridnsbl('" + name + "')\n";
    r += "tflags " + name + " net" + flags + "\n";
    r += "score " + name + " 1.0\n";
  };
  rule("FASTRBL_SHORTENER", "short.feeds.example", "127.0.0.4", "");
  rule("FASTRBL_ESP", "esp.feeds.example", "127.0.0.8", " notrim");
  rule("FASTRBL_TLD", "tld.feeds.example", "127.0.0.2", "");
  // The multi zone: a plain number is a bit mask to SpamAssassin (etc/feeds/README.md bits).
  rule("FASTRBL_MULTI_TLD", "multi.feeds.example", "2", "");
  rule("FASTRBL_MULTI_SHORTENER", "multi.feeds.example", "4", "");
  rule("FASTRBL_MULTI_ESP", "multi.feeds.example", "8", " notrim");
  return r;
}

std::string message(const std::string& id, const std::string& body) {
  return "From: sender@example.org\n"
         "To: rcpt@example.net\n"
         "Subject: test " +
         id +
         "\n"
         "Message-ID: <" +
         id +
         "@example.org>\n"
         "Date: Sun, 22 Nov 2026 10:00:00 +0000\n"
         "MIME-Version: 1.0\n"
         "Content-Type: text/plain\n"
         "\n" +
         body + "\n";
}

// The X-Spam-Tests header SpamAssassin added, unfolded (a long header continues on lines
// that start with white space): the rules that hit, comma-separated, or "none".
std::string tests_header(const std::string& out) {
  const std::string key = "X-Spam-Tests: ";
  auto at = out.find(key);
  if (at == std::string::npos) return "(no X-Spam-Tests header)";
  at += key.size();
  std::string value;
  for (;;) {
    const auto end = out.find('\n', at);
    const std::string line = out.substr(at, end == std::string::npos ? std::string::npos : end - at);
    for (char c : line)
      if (c != ' ' && c != '\t') value += c;
    if (end == std::string::npos || end + 1 >= out.size() || (out[end + 1] != ' ' && out[end + 1] != '\t'))
      break;
    at = end + 1;
  }
  return value;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::string::size_type from = 0;
  while (from <= s.size()) {
    const auto comma = s.find(',', from);
    const auto to = comma == std::string::npos ? s.size() : comma;
    if (to > from) v.push_back(s.substr(from, to - from));
    from = to + 1;
  }
  return v;
}

}  // namespace

TEST_CASE("spamassassin: each feed zone's rule hits its message and a clean message hits none",
          "[integration][spamassassin]") {
  REQUIRE(::access(kSpamAssassin, X_OK) == 0);  // etc/install-deps.sh installs spamassassin

  // The shipped feeds, imported from their local snapshots into a scratch store.
  const std::string dir = make_temp_dir();
  ::chmod(dir.c_str(), 0755);  // fastrbld started as root reads the files as nobody
  const std::string ctl = FASTRBL_BINARY_DIR "/dnsd/fastrblctl";
  const std::string config = FASTRBL_SOURCE_DIR "/etc/feeds/feeds.toml";
  const RunResult import = run_program(
      ctl, {"feed", "import", "--offline", "--config", config, "--db", dir + "/store", "--output-dir", dir},
      dir, std::chrono::milliseconds(120000));
  INFO("feed import: " << import.out << import.err);
  REQUIRE(import.exit_code == 0);
  const RunResult zones = run_program(ctl, {"feed", "zones", "--config", config, "--output-dir", dir}, dir);
  REQUIRE(zones.exit_code == 0);
  std::vector<std::string> specs;
  for (std::string::size_type from = 0; from < zones.out.size();) {
    const auto nl = zones.out.find('\n', from);
    const auto to = nl == std::string::npos ? zones.out.size() : nl;
    if (to > from) specs.push_back(zones.out.substr(from, to - from));
    from = to + 1;
  }
  REQUIRE(specs.size() >= 4);
  ::chmod((dir + "/rendered").c_str(), 0755);

  ServerOptions o;
  o.zone = specs.front();
  o.more_zones.assign(specs.begin() + 1, specs.end());
  ServerProcess server(o);
  ::mkdir((dir + "/site").c_str(), 0755);
  ::mkdir((dir + "/rules").c_str(), 0755);
  write_file(dir + "/site/init.pre",
             "loadplugin Mail::SpamAssassin::Plugin::Check\n"
             "loadplugin Mail::SpamAssassin::Plugin::URIDNSBL\n");
  write_file(dir + "/rules/fastrbl.cf", rules(server.port()));
  write_file(dir + "/prefs", "");

  struct Case {
    const char* name;
    const char* body;
    std::vector<std::string> hits;
  };
  const std::vector<Case> cases = {
      {"shortener", "Your parcel: https://bit.ly/3xYzAbc", {"FASTRBL_MULTI_SHORTENER", "FASTRBL_SHORTENER"}},
      {"esp",
       "Click http://u1234567.ct.sendgrid.net/ls/click?upn=abc to confirm",
       {"FASTRBL_ESP", "FASTRBL_MULTI_ESP"}},
      {"tld", "Cheap pills at http://cheap-pills.tk/buy now", {"FASTRBL_MULTI_TLD", "FASTRBL_TLD"}},
      {"all",
       "https://tinyurl.com/y4abc and http://u1.ct.sendgrid.net/ls/click?upn=x and "
       "http://deals.shop-now.xyz/",
       {"FASTRBL_ESP", "FASTRBL_MULTI_ESP", "FASTRBL_MULTI_SHORTENER", "FASTRBL_MULTI_TLD",
        "FASTRBL_SHORTENER", "FASTRBL_TLD"}},
      {"clean", "See https://www.debian.org/ and https://www.example.com/page and sendgrid.com", {}},
  };
  for (const auto& c : cases) {
    INFO("message " << c.name);
    const std::string file = dir + "/" + c.name + ".eml";
    write_file(file, message(c.name, c.body));
    const RunResult r =
        run_program(kSpamAssassin,
                    {"--siteconfigpath=" + dir + "/site", "-C", dir + "/rules", "-p", dir + "/prefs", file},
                    dir, std::chrono::milliseconds(120000));
    INFO("spamassassin stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string tests = tests_header(r.out);
    INFO("X-Spam-Tests: " << tests);
    if (c.hits.empty()) {
      CHECK(tests == "none");
    } else {
      CHECK(split(tests) == c.hits);
    }
  }
  // Every rule's query reached fastrbld (the server counted them, not another resolver).
  server.stop();
  for (const char* zone : {"short", "esp", "tld", "multi"}) {
    const std::string key = std::string("zone ") + zone + ".feeds.example: tot=";
    const std::string& out = server.output();
    const auto at = out.find(key);
    INFO(key);
    REQUIRE(at != std::string::npos);
    CHECK(std::stoul(out.substr(at + key.size())) >= cases.size());
  }
  remove_dir(dir);
}

}  // namespace fastrbl::test
