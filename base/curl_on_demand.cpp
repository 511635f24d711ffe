// curl_on_demand.cpp — the libcurl functions Kestrel calls, defined here
// and forwarded to libcurl.so.4 loaded on first use (dlopen), so that a
// collector with no HTTP output and no Docker runtime never loads libcurl.
//
// Why: linked normally, libcurl brought ~30 shared libraries (GnuTLS,
// Kerberos, LDAP, SASL, libssh2, nghttp2, ...) into every start, ~20 ms of
// it on the 2-core test host (a plain `main` linked with -lcurl against one
// without, medians of 31 runs): paid by every `kestrel -e x.scap` replay
// and every short run. Code keeps including <curl/curl.h> and calling
// curl_* as always; only the link changes (kestrel_curl_on_demand in place
// of CURL::libcurl).
//
// When libcurl cannot be loaded: curl_global_init() and the calls on a
// handle answer CURLE_FAILED_INIT, curl_easy_init() and
// curl_slist_append() nullptr, and curl_easy_strerror() names the dlopen
// error, so every caller's own error path (the HTTP sink's failed
// deliveries, the Docker lookup's error) reports it.
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <mutex>
#include <string>

// <curl/curl.h> wraps these two in type-checking macros; the functions
// themselves are defined below.
#undef curl_easy_setopt
#undef curl_easy_getinfo

namespace {

struct Curl {
  void* handle = nullptr;
  std::string error;  // why it could not be loaded
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
};

template <typename F>
bool bind(void* handle, const char* name, F& fn, std::string& error) {
  // dlsym on the library's own handle: its definition, never these.
  fn = reinterpret_cast<F>(dlsym(handle, name));
  if (fn == nullptr && error.empty()) error = std::string("libcurl.so.4 has no ") + name;
  return fn != nullptr;
}

// Loaded once; nullptr functions (and `error`) when it could not be.
const Curl& curl() {
  static Curl c;
  static std::once_flag once;
  std::call_once(once, [] {
    void* h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* why = dlerror();
      c.error = std::string("libcurl could not be loaded: ") + (why != nullptr ? why : "dlopen failed");
      return;
    }
    Curl loaded;
    loaded.handle = h;
    bool ok = bind(h, "curl_global_init", loaded.global_init, loaded.error);
    ok = bind(h, "curl_easy_init", loaded.easy_init, loaded.error) && ok;
    ok = bind(h, "curl_easy_setopt", loaded.easy_setopt, loaded.error) && ok;
    ok = bind(h, "curl_easy_perform", loaded.easy_perform, loaded.error) && ok;
    ok = bind(h, "curl_easy_getinfo", loaded.easy_getinfo, loaded.error) && ok;
    ok = bind(h, "curl_easy_cleanup", loaded.easy_cleanup, loaded.error) && ok;
    ok = bind(h, "curl_easy_strerror", loaded.easy_strerror, loaded.error) && ok;
    ok = bind(h, "curl_slist_append", loaded.slist_append, loaded.error) && ok;
    ok = bind(h, "curl_slist_free_all", loaded.slist_free_all, loaded.error) && ok;
    if (!ok) {
      c.error = loaded.error;
      dlclose(h);
      return;
    }
    c = loaded;
  });
  return c;
}

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) {
  const Curl& c = curl();
  return c.global_init != nullptr ? c.global_init(flags) : CURLE_FAILED_INIT;
}

CURL* curl_easy_init() {
  const Curl& c = curl();
  return c.easy_init != nullptr ? c.easy_init() : nullptr;
}

// Every option takes one argument whose type its number's range gives
// (CURLOPTTYPE_*): read as that type, passed on as that type.
CURLcode curl_easy_setopt(CURL* handle, CURLoption option, ...) {
  const Curl& c = curl();
  if (c.easy_setopt == nullptr) return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = c.easy_setopt(handle, option, va_arg(ap, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    rc = c.easy_setopt(handle, option, va_arg(ap, void*));
  } else if (option < CURLOPTTYPE_OFF_T) {
    rc = c.easy_setopt(handle, option, va_arg(ap, void (*)()));
  } else if (option < CURLOPTTYPE_BLOB) {
    rc = c.easy_setopt(handle, option, va_arg(ap, curl_off_t));
  } else {
    rc = c.easy_setopt(handle, option, va_arg(ap, void*));
  }
  va_end(ap);
  return rc;
}

CURLcode curl_easy_perform(CURL* handle) {
  const Curl& c = curl();
  return c.easy_perform != nullptr ? c.easy_perform(handle) : CURLE_FAILED_INIT;
}

// Every CURLINFO_* takes one pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* handle, CURLINFO info, ...) {
  const Curl& c = curl();
  if (c.easy_getinfo == nullptr) return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);
  va_end(ap);
  return c.easy_getinfo(handle, info, out);
}

void curl_easy_cleanup(CURL* handle) {
  const Curl& c = curl();
  if (c.easy_cleanup != nullptr) c.easy_cleanup(handle);
}

const char* curl_easy_strerror(CURLcode code) {
  const Curl& c = curl();
  return c.easy_strerror != nullptr ? c.easy_strerror(code) : c.error.c_str();
}

curl_slist* curl_slist_append(curl_slist* list, const char* item) {
  const Curl& c = curl();
  return c.slist_append != nullptr ? c.slist_append(list, item) : nullptr;
}

void curl_slist_free_all(curl_slist* list) {
  const Curl& c = curl();
  if (c.slist_free_all != nullptr) c.slist_free_all(list);
}

}  // extern "C"
