#include "driverkit/fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>

namespace kestrel::driverkit {

namespace fs = std::filesystem;

namespace {

struct Transfer {
  FILE* file = nullptr;
  Progress* progress = nullptr;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  return std::fwrite(data, size, count, t->file) * size;
}

// "3.1/10.5 MB" (or "3.1 MB" when the size is not known) on PROGRESS.
void report_megabytes(Progress& progress, curl_off_t total, curl_off_t now) {
  char buf[64];
  if (total > 0)
    std::snprintf(buf, sizeof buf, "%.1f/%.1f MB", now / 1e6, total / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.1f MB", now / 1e6);
  progress.update(buf);
}

int report(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  report_megabytes(*static_cast<Transfer*>(user)->progress, total, now);
  return 0;
}

// What every transfer sets: the URL, redirects followed, errors into
// ERROR, a bounded connect.
void set_common_options(CURL* curl, const std::string& url, char* error) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
}

std::string url_file_name(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  // Pool names carry an epoch's ':' percent-encoded; dpkg does not care.
  return name;
}

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

int report_memory(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  report_megabytes(*static_cast<Progress*>(user), total, now);
  return 0;
}

}  // namespace

Result<std::string> fetch_bytes(const std::string& url, Progress* progress) {
  std::string body;
  CURL* curl = curl_easy_init();
  if (!curl) return Status(StatusCode::kInternal, "curl_easy_init failed");
  char error[CURL_ERROR_SIZE] = "";
  set_common_options(curl, url, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  // A stalled mirror fails the index rather than hanging the crawl.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  if (progress) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, report_memory);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, progress);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  CURLcode rc = curl_easy_perform(curl);
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  curl_easy_cleanup(curl);
  if (rc == CURLE_FILE_COULDNT_READ_FILE) return Status(StatusCode::kNotFound, url + ": no such file");
  if (rc != CURLE_OK)
    return Status(StatusCode::kUnavailable, "fetch " + url + " failed: " + (*error ? error : curl_easy_strerror(rc)));
  if (http == 404 || http == 410) return Status(StatusCode::kNotFound, url + ": HTTP " + std::to_string(http));
  // file:// reports 0; http(s) must answer 2xx.
  if (http != 0 && (http < 200 || http > 299))
    return Status(StatusCode::kUnavailable, "fetch " + url + " failed: HTTP " + std::to_string(http));
  return body;
}

Result<std::string> download_url(const std::string& url, const std::string& dir, Progress& progress) {
  std::string name = url_file_name(url);
  if (name.empty() || name.size() < 5 || name.substr(name.size() - 4) != ".deb")
    return Status(StatusCode::kInvalidArgument, "kernelurls: " + url + " does not name a .deb file");
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string dest = dir + "/" + name;
  if (fs::exists(dest)) return dest;
  // Concurrent builds (a matrix's -j, or several processes on one cache)
  // share DIR: one downloads a file while the others wait for it, then
  // find it there. flock(2) per open file, so threads are serialised too.
  int lock_fd = open((dest + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return Status(StatusCode::kUnavailable, "cannot create " + dest + ".lock");
  struct Unlock {
    int fd;
    ~Unlock() { close(fd); }
  } unlock{lock_fd};
  flock(lock_fd, LOCK_EX);
  if (fs::exists(dest)) return dest;
  static std::atomic<unsigned> serial{0};
  std::string partial = dest + ".partial-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
  FILE* f = std::fopen(partial.c_str(), "wb");
  if (!f) return Status(StatusCode::kUnavailable, "cannot write " + partial);
  progress.step("downloading " + url);
  Transfer t{f, &progress};
  CURL* curl = curl_easy_init();
  char error[CURL_ERROR_SIZE] = "";
  set_common_options(curl, url, error);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, report);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  bool wrote = std::fclose(f) == 0;
  if (rc != CURLE_OK || !wrote) {
    fs::remove(partial, ec);
    return Status(StatusCode::kUnavailable,
                  "download " + url + " failed: " + (*error ? error : curl_easy_strerror(rc)));
  }
  fs::rename(partial, dest, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot rename " + partial + ": " + ec.message());
  return dest;
}

Result<std::unique_ptr<StanzaIndex>> index_kernel_urls(const std::vector<std::string>& urls, const std::string& dir,
                                                       Progress& progress) {
  std::vector<PackageCandidate> candidates;
  std::string list;
  for (const auto& url : urls) {
    auto deb = download_url(url, dir, progress);
    if (!deb.ok()) return deb.status();
    auto c = read_deb_control(*deb, InputSource::kUrl, url);
    if (!c.ok()) return c.status();
    candidates.push_back(std::move(*c));
    list += (list.empty() ? "" : ", ") + url;
  }
  return std::make_unique<StanzaIndex>("kernelurls [" + list + "]", std::move(candidates));
}

Result<std::unique_ptr<StanzaIndex>> index_deb_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status(StatusCode::kNotFound, "--deb-dir " + dir + " is not a directory");
  std::vector<PackageCandidate> candidates;
  std::vector<fs::path> debs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".deb") debs.push_back(e.path());
  std::sort(debs.begin(), debs.end());
  for (const auto& p : debs) {
    std::string path = fs::absolute(p).string();
    auto c = read_deb_control(path, InputSource::kFile, path);
    if (!c.ok()) return c.status();
    candidates.push_back(std::move(*c));
  }
  return std::make_unique<StanzaIndex>("--deb-dir " + dir + " (" + std::to_string(debs.size()) + " .debs)",
                                       std::move(candidates));
}

}  // namespace kestrel::driverkit
