#include "outputs/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "engine/engine_version.h"
#include "outputs/alert_format.h"
#include "outputs/grpc/outputs.grpc.pb.h"
#include "outputs/grpc/version.grpc.pb.h"

namespace kestrel::engine {
namespace {

constexpr std::string_view kUnixScheme = "unix://";
constexpr auto kPopWait = std::chrono::milliseconds(200);

std::string field_text(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "<NA>";
        else if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else return std::to_string(x);
      },
      v);
}

struct SemVerParts {
  uint32_t major = 0, minor = 0, patch = 0;
  std::string prerelease, build;
};

// "1.2.3-rc1+abc" → parts, as the version service reports them.
SemVerParts split_semver(const std::string& v) {
  SemVerParts p;
  std::string core = v;
  if (auto plus = core.find('+'); plus != std::string::npos) {
    p.build = core.substr(plus + 1);
    core.resize(plus);
  }
  if (auto dash = core.find('-'); dash != std::string::npos) {
    p.prerelease = core.substr(dash + 1);
    core.resize(dash);
  }
  unsigned a = 0, b = 0, c = 0;
  sscanf(core.c_str(), "%u.%u.%u", &a, &b, &c);
  p.major = a;
  p.minor = b;
  p.patch = c;
  return p;
}

// Falco's rule: the source's name parsed as the enum (its aliases
// included), and any other name — a plugin's source — PLUGIN.
falco::schema::source source_enum(const std::string& source) {
  falco::schema::source s = falco::schema::SYSCALL;
  if (!falco::schema::source_Parse(source, &s)) s = falco::schema::PLUGIN;
  return s;
}

void to_response(const HubAlert& queued, falco::outputs::response& r) {
  const Alert& a = queued.alert;
  r.mutable_time()->set_seconds(static_cast<int64_t>(a.time_ns / 1'000'000'000ull));
  r.mutable_time()->set_nanos(static_cast<int32_t>(a.time_ns % 1'000'000'000ull));
  // Priority and falco.schema.priority share names and order (Emergency = 0).
  r.set_priority(static_cast<falco::schema::priority>(static_cast<int>(a.priority)));
  r.set_source_deprecated(source_enum(a.source));
  r.set_source(a.source);
  r.set_rule(a.rule);
  // What Falco puts there: the alert line its outputs print.
  r.set_output(queued.output);
  auto& fields = *r.mutable_output_fields();
  for (const auto& [name, value] : a.output_fields) fields[name] = field_text(value);
  // Falco's map holds every field of the whole format, the leading time
  // included, as text.
  if (a.source != kInternalSource && fields.count("evt.time") == 0 && fields.count("evt.time.iso8601") == 0)
    fields[queued.iso_time ? "evt.time.iso8601" : "evt.time"] =
        queued.iso_time ? iso8601_utc_offset(a.time_ns) : clock_time_local(a.time_ns);
  r.set_hostname(a.hostname);
  for (const auto& tag : a.tags) r.add_tags(tag);
}

class OutputsService final : public falco::outputs::service::Service {
 public:
  explicit OutputsService(std::shared_ptr<AlertHub> hub) : hub_(std::move(hub)) {}

  grpc::Status sub(grpc::ServerContext* ctx,
                   grpc::ServerReaderWriter<falco::outputs::response, falco::outputs::request>* stream) override {
    hub_->subscribe();
    HubAlert alert;
    falco::outputs::response response;
    while (!ctx->IsCancelled()) {
      auto got = hub_->pop(alert, kPopWait);
      if (got == AlertHub::PopResult::kClosed) break;
      if (got == AlertHub::PopResult::kTimeout) continue;
      response.Clear();
      to_response(alert, response);
      if (!stream->Write(response)) break;
    }
    hub_->unsubscribe();
    return grpc::Status::OK;
  }

  grpc::Status get(grpc::ServerContext*, const falco::outputs::request*,
                   grpc::ServerWriter<falco::outputs::response>* writer) override {
    falco::outputs::response response;
    for (const auto& alert : hub_->take_all()) {
      response.Clear();
      to_response(alert, response);
      if (!writer->Write(response)) break;
    }
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<AlertHub> hub_;
};

class VersionService final : public falco::version::service::Service {
 public:
  explicit VersionService(std::string version) : version_(std::move(version)) {}
  grpc::Status version(grpc::ServerContext*, const falco::version::request*,
                       falco::version::response* r) override {
    SemVerParts parts = split_semver(version_);
    r->set_version(version_);
    r->set_major(parts.major);
    r->set_minor(parts.minor);
    r->set_patch(parts.patch);
    r->set_prerelease(parts.prerelease);
    r->set_build(parts.build);
    const auto& e = kEngineVersion;
    r->set_engine_major(e.major);
    r->set_engine_minor(e.minor);
    r->set_engine_patch(e.patch);
    r->set_engine_version(std::to_string(e.major) + "." + std::to_string(e.minor) + "." + std::to_string(e.patch));
    return grpc::Status::OK;
  }

 private:
  std::string version_;
};

Result<std::string> read_text(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, std::string("grpc: cannot read ") + what + " '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::shared_ptr<grpc::ServerCredentials>> tcp_credentials(const GrpcServerOptions& o) {
  if (o.private_key.empty() || o.cert_chain.empty())
    return Status(StatusCode::kInvalidArgument,
                  "grpc: a TCP bind_address ('" + o.bind_address +
                      "') needs TLS: set grpc.private_key and grpc.cert_chain (or bind to unix:///path)");
  auto key = read_text(o.private_key, "private key");
  if (!key.ok()) return key.status();
  auto chain = read_text(o.cert_chain, "certificate chain");
  if (!chain.ok()) return chain.status();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!o.root_certs.empty()) {
    auto roots = read_text(o.root_certs, "root certificates");
    if (!roots.ok()) return roots.status();
    ssl.pem_root_certs = *roots;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  ssl.pem_key_cert_pairs.push_back({*key, *chain});
  return grpc::SslServerCredentials(ssl);
}

class GrpcServerImpl final : public GrpcServer {
 public:
  GrpcServerImpl(std::shared_ptr<AlertHub> hub, const std::string& version)
      : hub_(hub), outputs_(hub), version_(version) {}
  ~GrpcServerImpl() override { stop(std::chrono::seconds(1)); }

  Status start(const GrpcServerOptions& o) {
    std::shared_ptr<grpc::ServerCredentials> creds;
    const bool is_unix = o.bind_address.starts_with(kUnixScheme);
    if (is_unix) {
      socket_path_ = o.bind_address.substr(kUnixScheme.size());
      unlink(socket_path_.c_str());  // a stale socket from a previous run
      creds = grpc::InsecureServerCredentials();
    } else {
      auto c = tcp_credentials(o);
      if (!c.ok()) return c.status();
      creds = *c;
    }
    grpc::ServerBuilder builder;
    int bound_port = 0;
    builder.AddListeningPort(o.bind_address, creds, is_unix ? nullptr : &bound_port);
    builder.RegisterService(&outputs_);
    builder.RegisterService(&version_);
    if (o.threadiness > 0) {
      grpc::ResourceQuota quota("kestrel-grpc");
      quota.SetMaxThreads(static_cast<int>(o.threadiness) + 1);
      builder.SetResourceQuota(quota);
    }
    server_ = builder.BuildAndStart();
    if (!server_ || (!is_unix && bound_port == 0))
      return Status(StatusCode::kUnavailable, "grpc: cannot listen on '" + o.bind_address + "'");
    if (is_unix) chmod(socket_path_.c_str(), 0660);
    return ok_status();
  }

  void stop(std::chrono::milliseconds grace) override {
    hub_->close();
    if (!server_) return;
    server_->Shutdown(std::chrono::system_clock::now() + grace);
    server_->Wait();
    server_.reset();
    if (!socket_path_.empty()) unlink(socket_path_.c_str());
  }

 private:
  std::shared_ptr<AlertHub> hub_;
  OutputsService outputs_;
  VersionService version_;
  std::unique_ptr<grpc::Server> server_;
  std::string socket_path_;
};

}  // namespace

Result<std::unique_ptr<GrpcServer>> start_grpc_server(const GrpcServerOptions& options,
                                                      std::shared_ptr<AlertHub> hub) {
  auto server = std::make_unique<GrpcServerImpl>(std::move(hub), options.version);
  if (Status s = server->start(options); !s.ok()) return s;
  return std::unique_ptr<GrpcServer>(std::move(server));
}

}  // namespace kestrel::engine
