#include "fleet/nats_bus.h"

#include <nats/nats.h>

#include <algorithm>
#include <cctype>

namespace kestrel::fleet {

std::string nats_error(const std::string& what, int nats_status, int js_error) {
  std::string text = what + ": " + natsStatus_GetText(static_cast<natsStatus>(nats_status));
  const char* detail = nats_GetLastError(nullptr);
  if (detail && *detail) text += std::string(" (") + detail + ")";
  if (js_error) text += " (JetStream error " + std::to_string(js_error) + ")";
  return text;
}

int retry_unanswered(const std::function<int(jsOptions*)>& attempt, UnansweredRetry limits) {
  const auto deadline = std::chrono::steady_clock::now() + limits.budget;
  for (;;) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = limits.per_try.count();
    const int s = attempt(&jo);
    if (s != NATS_TIMEOUT || std::chrono::steady_clock::now() >= deadline) return s;
  }
}

std::string subject_token(const std::string& node) {
  if (node.empty()) return "unnamed";
  std::string token = node;
  for (char& c : token)
    if (c == '.' || c == '*' || c == '>' || std::isspace(static_cast<unsigned char>(c))) c = '_';
  return token;
}

std::string alerts_subject(const std::string& node) { return "kestrel." + subject_token(node) + ".alerts"; }
std::string events_subject(const std::string& node) { return "kestrel." + subject_token(node) + ".events"; }
std::string status_subject(const std::string& node) { return "kestrel." + subject_token(node) + ".status"; }

std::string node_of_subject(const std::string& subject) {
  const std::string prefix = "kestrel.";
  if (subject.rfind(prefix, 0) != 0) return "";
  const size_t end = subject.find('.', prefix.size());
  if (end == std::string::npos) return "";
  return subject.substr(prefix.size(), end - prefix.size());
}

namespace {

// Owns a natsOptions for the duration of connect().
struct OptionsHolder {
  natsOptions* opts = nullptr;
  ~OptionsHolder() { natsOptions_Destroy(opts); }
};

Status configure(natsOptions* opts, const NatsBusOptions& o) {
  std::vector<const char*> urls;
  for (const auto& s : o.servers) urls.push_back(s.c_str());
  natsStatus s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, o.client_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, o.connect_timeout.count());
  // Reconnect for ever, quickly: a node outlives any one server.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts, 100, 1000);
  // Publishes made while reconnecting are buffered up to 8 MiB, then fail.
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 8 * 1024 * 1024);
  if (s == NATS_OK && !o.wait_for_first_connection)
    s = natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
  if (s != NATS_OK) return Status(StatusCode::kInvalidArgument, nats_error("nats: options", s));
  if (!o.creds.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, o.creds.c_str(), nullptr);
    if (s != NATS_OK) return Status(StatusCode::kInvalidArgument, nats_error("nats.creds '" + o.creds + "'", s));
  }
  if (!o.tls_ca.empty() || !o.tls_cert.empty()) {
    s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK && !o.tls_ca.empty()) s = natsOptions_LoadCATrustedCertificates(opts, o.tls_ca.c_str());
    if (s == NATS_OK && !o.tls_cert.empty())
      s = natsOptions_LoadCertificatesChain(opts, o.tls_cert.c_str(), o.tls_key.c_str());
    if (s != NATS_OK) return Status(StatusCode::kInvalidArgument, nats_error("nats.tls", s));
  }
  return ok_status();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

Result<std::unique_ptr<NatsBus>> NatsBus::connect(const NatsBusOptions& options) {
  if (options.servers.empty())
    return Status(StatusCode::kInvalidArgument, "nats.servers is empty: name at least one nats://host:port");
  OptionsHolder holder;
  if (natsOptions_Create(&holder.opts) != NATS_OK) return Status(StatusCode::kInternal, "nats: out of memory");
  if (Status st = configure(holder.opts, options); !st.ok()) return st;
  std::unique_ptr<NatsBus> bus(new NatsBus(options));
  natsStatus s = natsConnection_Connect(&bus->conn_, holder.opts);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED)
    return Status(StatusCode::kUnavailable, nats_error("nats: cannot connect to " + joined(options.servers), s));
  s = natsConnection_JetStream(&bus->js_, bus->conn_, nullptr);
  if (s != NATS_OK) return Status(StatusCode::kInternal, nats_error("nats: JetStream context", s));
  if (Status st = bus->ensure_stream(); !st.ok()) return st;
  return bus;
}

NatsBus::~NatsBus() {
  jsCtx_Destroy(js_);
  if (conn_) {
    // Give buffered publishes (statuses) a moment to leave before closing.
    natsConnection_FlushTimeout(conn_, 500);
    natsConnection_Destroy(conn_);
  }
}

// A stream over kestrel.>; an existing one (made by another node, or by an
// operator with other limits) is used as it is.
Status NatsBus::ensure_stream() {
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // Unanswered while the stream's leader is being elected (a server lost).
  natsStatus s = static_cast<natsStatus>(retry_unanswered([&](jsOptions* jo) {
    jerr = static_cast<jsErrCode>(0);
    return js_GetStreamInfo(&info, js_, options_.stream.c_str(), jo, &jerr);
  }));
  if (s == NATS_OK) {
    if (info->Config) stream_replicas_ = static_cast<int>(info->Config->Replicas);
    jsStreamInfo_Destroy(info);
    return ok_status();
  }
  if (jerr != JSStreamNotFoundErr && s != NATS_NOT_FOUND)
    return Status(StatusCode::kUnavailable,
                  nats_error("nats: stream '" + options_.stream + "' info", s, static_cast<int>(jerr)));
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {"kestrel.>"};
  cfg.Name = options_.stream.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = options_.replicas;
  cfg.MaxAge = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.max_age).count();
  cfg.Duplicates = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.duplicate_window).count();
  cfg.AllowDirect = true;
  // A replicated stream is placed by a meta leader being elected while
  // the cluster forms: a timed-out try is made again.
  s = static_cast<natsStatus>(retry_unanswered([&](jsOptions* jo) {
    jerr = static_cast<jsErrCode>(0);
    info = nullptr;
    natsStatus r = js_AddStream(&info, js_, &cfg, jo, &jerr);
    jsStreamInfo_Destroy(info);
    return r;
  }));
  if (s == NATS_OK) {
    stream_replicas_ = options_.replicas;
    return ok_status();
  }
  // Two nodes starting at once: the other one made it first (replicas unknown).
  if (jerr == JSStreamNameExistErr) return ok_status();
  return Status(StatusCode::kUnavailable,
                nats_error("nats: creating stream '" + options_.stream + "' (replicas " +
                               std::to_string(options_.replicas) + ")",
                           s, static_cast<int>(jerr)));
}

std::string NatsBus::connected_url() const {
  char buf[256] = {0};
  if (natsConnection_GetConnectedUrl(conn_, buf, sizeof buf) != NATS_OK) return "";
  return buf;
}

uint64_t NatsBus::reconnects() const {
  natsStatistics* stats = nullptr;
  if (natsStatistics_Create(&stats) != NATS_OK) return 0;
  uint64_t in_msgs = 0, in_bytes = 0, out_msgs = 0, out_bytes = 0, reconnected = 0;
  if (natsConnection_GetStats(conn_, stats) == NATS_OK)
    natsStatistics_GetCounts(stats, &in_msgs, &in_bytes, &out_msgs, &out_bytes, &reconnected);
  natsStatistics_Destroy(stats);
  return reconnected;
}

}  // namespace kestrel::fleet

namespace kestrel::fleet {

Result<__natsSubscription*> durable_pull_subscribe(NatsBus& bus, const std::string& subject,
                                                   const std::string& durable, const std::string& what) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = bus.options().stream.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.FilterSubject = subject.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // The durable inherits the stream's replicas; its create may go
  // unanswered while a server is down (retry_unanswered says why).
  natsStatus s = static_cast<natsStatus>(retry_unanswered([&](jsOptions* jo) {
    jerr = static_cast<jsErrCode>(0);
    return js_PullSubscribe(&sub, bus.jetstream(), subject.c_str(), durable.c_str(), jo, &so, &jerr);
  }));
  if (s != NATS_OK)
    return Status(StatusCode::kUnavailable,
                  nats_error(what + ": durable consumer '" + durable + "' on " + subject, s, static_cast<int>(jerr)));
  return sub;
}

}  // namespace kestrel::fleet
