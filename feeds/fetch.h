#pragma once
// Fetching a feed source over http(s) with libcurl into a local file, with a conditional
// GET (If-None-Match / If-Modified-Since from the feed's last import) and timeouts.
//
// Only http and https are fetched (redirects too: at most 5, never to another scheme).
// The body is written to a file the caller names (in practice a temporary file next to
// nothing that is served), so a failed or partial transfer never replaces anything.
// Thread safety: fetch_url() may run on several threads; curl_global_init is done once.

#include "core/status.h"

#include <string>

namespace fastrbl::feeds {

struct FetchRequest {
  std::string url;
  std::string etag;           ///< sent as If-None-Match when not empty
  std::string last_modified;  ///< sent as If-Modified-Since when not empty
  long timeout = 60;          ///< seconds for the whole transfer (connect: at most 15)
  std::string dest;           ///< the file the body is written to (created or truncated)
};

struct FetchResult {
  bool not_modified = false;  ///< HTTP 304: dest holds nothing useful
  long status = 0;            ///< the final HTTP status
  std::string etag;           ///< ETag of the response (or empty)
  std::string last_modified;  ///< Last-Modified of the response (or empty)
  std::size_t bytes = 0;
};

/// GETs `request.url` into `request.dest`. Errors: "fetching URL: <curl error>", "fetching
/// URL: HTTP 404", "cannot write DEST: ...". A 304 is not an error.
core::Result<FetchResult> fetch_url(const FetchRequest& request);

}  // namespace fastrbl::feeds
