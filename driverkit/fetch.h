// fetch.h — getting header .debs that apt does not serve: --kernelurls
// (downloaded with libcurl into the cache) and --deb-dir (read in place).
// Each becomes a StanzaIndex of the packages' own control data, so the
// resolver treats them exactly like apt.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "driverkit/package_index.h"
#include "driverkit/progress.h"

namespace kestrel::driverkit {

// The body of URL in memory (the crawler's Release and Packages files).
// http(s) and file:// URLs. A 404 (or a missing file://) is kNotFound, so a
// caller can try the next name; any other failure is kUnavailable.
Result<std::string> fetch_bytes(const std::string& url, Progress* progress);

// Downloads URL into DIR (file name: the URL's last path segment), unless
// DIR already holds it (a file appears there only when complete). Safe for
// concurrent callers (threads or processes) sharing DIR: a file is
// downloaded once, the others wait on DIR/<name>.lock and reuse it.
// http(s) and file:// URLs; a non-2xx answer is an error.
Result<std::string> download_url(const std::string& url, const std::string& dir, Progress& progress);

// The .debs of URLS, downloaded into DIR.
Result<std::unique_ptr<StanzaIndex>> index_kernel_urls(const std::vector<std::string>& urls, const std::string& dir,
                                                       Progress& progress);

// Every *.deb directly in DIR.
Result<std::unique_ptr<StanzaIndex>> index_deb_dir(const std::string& dir);

}  // namespace kestrel::driverkit
