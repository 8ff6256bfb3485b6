#include "feeds/fetch.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <curl/curl.h>
#include <memory>
#include <mutex>
#include <string_view>
#include <unistd.h>

namespace fastrbl::feeds {
namespace {

struct Sink {
  std::FILE* file = nullptr;
  std::size_t bytes = 0;
  bool write_failed = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (std::fwrite(data, 1, len, sink->file) != len) {
    sink->write_failed = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->bytes += len;
  return len;
}

// Header lines of every response (redirects included): the last response's ETag and
// Last-Modified win, and a new status line clears what an earlier response said.
std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<FetchResult*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    r->etag.clear();
    r->last_modified.clear();
    return size * n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (name == "etag") r->etag = std::string(value);
  if (name == "last-modified") r->last_modified = std::string(value);
  return size * n;
}

struct CurlFree {
  void operator()(CURL* c) const noexcept { ::curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const noexcept { ::curl_slist_free_all(l); }
};

}  // namespace

core::Result<FetchResult> fetch_url(const FetchRequest& request) {
  static std::once_flag once;
  std::call_once(once, [] { ::curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string what = "fetching " + request.url;
  std::unique_ptr<CURL, CurlFree> curl(::curl_easy_init());
  if (!curl) return core::Status::error(what + ": cannot initialise libcurl");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(request.dest.c_str(), "wb"), &std::fclose);
  if (!file) {
    const int err = errno;
    return core::Status::error("cannot write " + request.dest + ": " + std::strerror(err));
  }
  Sink sink{file.get()};
  FetchResult result;
  std::unique_ptr<curl_slist, SlistFree> headers;
  auto add_header = [&headers](const std::string& h) {
    headers.reset(::curl_slist_append(headers.release(), h.c_str()));
  };
  if (!request.etag.empty()) add_header("If-None-Match: " + request.etag);
  if (!request.last_modified.empty()) add_header("If-Modified-Since: " + request.last_modified);
  std::array<char, CURL_ERROR_SIZE> errbuf{};
  CURL* c = curl.get();
  ::curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  ::curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  ::curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  ::curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  ::curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  ::curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  ::curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, request.timeout < 15 ? request.timeout : 15L);
  ::curl_easy_setopt(c, CURLOPT_TIMEOUT, request.timeout);
  ::curl_easy_setopt(c, CURLOPT_USERAGENT, "fastrbl-feeds/1");
  ::curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate if the server offers them
  ::curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  ::curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  ::curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  ::curl_easy_setopt(c, CURLOPT_HEADERDATA, &result);
  ::curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf.data());
  if (headers) ::curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  const CURLcode rc = ::curl_easy_perform(c);
  if (sink.write_failed)
    return core::Status::error("cannot write " + request.dest + ": disk full or I/O error");
  if (rc != CURLE_OK)
    return core::Status::error(what + ": " +
                               (errbuf[0] != 0 ? std::string(errbuf.data()) : ::curl_easy_strerror(rc)));
  ::curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  if (result.status == 304) {
    result.not_modified = true;
    return result;
  }
  if (result.status != 200) return core::Status::error(what + ": HTTP " + std::to_string(result.status));
  if (std::fflush(file.get()) != 0 || ::fsync(::fileno(file.get())) != 0) {
    const int err = errno;
    return core::Status::error("cannot write " + request.dest + ": " + std::strerror(err));
  }
  result.bytes = sink.bytes;
  return result;
}

}  // namespace fastrbl::feeds
