#include "plugins/okta/okta_fields.h"

#include <string_view>

namespace kestrel::okta {
namespace {

using plugin_kit::ArgForm;
using plugin_kit::at;
using plugin_kit::FieldArg;
using plugin_kit::FieldKind;
using plugin_kit::FieldSpec;
using plugin_kit::json;
using plugin_kit::value_at;
using plugin_kit::Values;

constexpr FieldKind S = FieldKind::kString;
constexpr FieldKind U = FieldKind::kUint64;
constexpr ArgForm N = ArgForm::kNone;

const std::vector<FieldSpec> kFields = {
    {"okta.app", S, false, N, false, "the application of a /app/<name>/... request (debugContext.debugData.requestUri)"},
    {"okta.behaviors", S, false, N, false, "debugContext.debugData.behaviors"},
    {"okta.org", S, false, N, false, "the organization (init_config.organization)"},
    {"okta.evt.type", S, false, N, false, "the event type (eventType, e.g. user.session.start)"},
    {"okta.evt.legacytype", S, false, N, false, "legacyEventType"},
    {"okta.severity", S, false, N, false, "severity (DEBUG, INFO, WARN, ERROR)"},
    {"okta.message", S, false, N, false, "displayMessage"},
    {"okta.published", S, false, N, false, "when the event was published (published)"},
    {"okta.logonlysecuritydata", S, false, N, false, "logOnlySecurityData (as JSON)"},
    {"okta.actor.id", S, false, N, false, "actor.id"},
    {"okta.actor.Type", S, false, N, false, "actor.type"},
    {"okta.actor.alternateid", S, false, N, false, "actor.alternateId (usually the login)"},
    {"okta.actor.name", S, false, N, false, "actor.displayName"},
    {"okta.client.zone", S, false, N, false, "client.zone"},
    {"okta.client.ip", S, false, N, false, "client.ipAddress"},
    {"okta.client.device", S, false, N, false, "client.device"},
    {"okta.client.id", S, false, N, false, "client.id"},
    {"okta.client.geo.city", S, false, N, false, "client.geographicalContext.city"},
    {"okta.client.geo.state", S, false, N, false, "client.geographicalContext.state"},
    {"okta.client.geo.country", S, false, N, false, "client.geographicalContext.country"},
    {"okta.client.geo.postalcode", S, false, N, false, "client.geographicalContext.postalCode"},
    {"okta.client.geo.lat", S, false, N, false, "client.geographicalContext.geolocation.lat"},
    {"okta.client.geo.lon", S, false, N, false, "client.geographicalContext.geolocation.lon"},
    {"okta.useragent.os", S, false, N, false, "client.userAgent.os"},
    {"okta.useragent.browser", S, false, N, false, "client.userAgent.browser"},
    {"okta.useragent.raw", S, false, N, false, "client.userAgent.rawUserAgent"},
    {"okta.result", S, false, N, false, "outcome.result (SUCCESS, FAILURE, DENY, ...)"},
    {"okta.reason", S, false, N, false, "outcome.reason"},
    {"okta.transaction.id", S, false, N, false, "transaction.id"},
    {"okta.transaction.type", S, false, N, false, "transaction.type"},
    {"okta.requesturi", S, false, N, false, "debugContext.debugData.requestUri"},
    {"okta.principal.id", S, false, N, false, "debugContext.debugData.originalPrincipal.id"},
    {"okta.principal.alternateid", S, false, N, false, "debugContext.debugData.originalPrincipal.alternateId"},
    {"okta.principal.type", S, false, N, false, "debugContext.debugData.originalPrincipal.type"},
    {"okta.principal.name", S, false, N, false, "debugContext.debugData.originalPrincipal.displayName"},
    {"okta.authentication.step", S, false, N, false, "authenticationContext.authenticationStep"},
    {"okta.authentication.sessionid", S, false, N, false, "authenticationContext.externalSessionId"},
    {"okta.authentication.provider", S, false, N, false, "authenticationContext.authenticationProvider"},
    {"okta.authentication.credentialprovider", S, false, N, false, "authenticationContext.credentialProvider"},
    {"okta.security.asnumber", U, false, N, false, "securityContext.asNumber"},
    {"okta.security.asorg", S, false, N, false, "securityContext.asOrg"},
    {"okta.security.isp", S, false, N, false, "securityContext.isp"},
    {"okta.security.domain", S, false, N, false, "securityContext.domain"},
    {"okta.security.isproxy", S, false, N, false, "securityContext.isProxy"},
    {"okta.target.user.id", S, false, N, false, "the id of the first target of type User"},
    {"okta.target.user.alternateid", S, false, N, false, "the alternateId of the first target of type User"},
    {"okta.target.user.name", S, false, N, false, "the displayName of the first target of type User"},
    {"okta.target.group.id", S, false, N, false, "the id of the first target of type UserGroup"},
    {"okta.target.group.alternateid", S, false, N, false, "the alternateId of the first target of type UserGroup"},
    {"okta.target.group.name", S, false, N, false, "the displayName of the first target of type UserGroup"},
    {"okta.target.app.id", S, false, N, false, "the id of the first target of type AppInstance"},
    {"okta.target.app.alternateid", S, false, N, false, "the alternateId of the first target of type AppInstance"},
    {"okta.target.app.name", S, false, N, false, "the displayName of the first target of type AppInstance"},
    {"okta.targets.displayName", S, true, ArgForm::kIndex, false, "the displayName of every target (or of target N)"},
    {"okta.mfa.failure.countlast", U, false, ArgForm::kIndex, true,
     "on an MFA failure: the actor's MFA failures in the last N seconds, this one included"},
    {"okta.mfa.deny.countlast", U, false, ArgForm::kIndex, true,
     "on a denied Okta Verify push: the actor's denied pushes in the last N seconds, this one included"},
};

std::string str_or_empty(const json& j, std::initializer_list<std::string_view> keys) {
  const json* v = at(j, keys);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// "failure", "deny" or "" for `event`.
std::string mfa_kind(const json& event) {
  const std::string type = str_or_empty(event, {"eventType"});
  if (type == "user.mfa.okta_verify.deny_push") return "deny";
  if (type == "user.authentication.auth_via_mfa" && str_or_empty(event, {"outcome", "result"}) == "FAILURE")
    return "failure";
  return "";
}

std::optional<Values> target(const json& event, std::string_view type, std::string_view key) {
  const json* targets = at(event, {"target"});
  if (!targets || !targets->is_array()) return std::nullopt;
  for (const auto& t : *targets)
    if (str_or_empty(t, {"type"}) == type) return value_at(t, {key});
  return std::nullopt;
}

std::optional<Values> target_names(const json& event, const FieldArg& arg) {
  const json* targets = at(event, {"target"});
  if (!targets || !targets->is_array()) return std::nullopt;
  Values out;
  for (size_t i = 0; i < targets->size(); ++i) {
    if (arg.present && i != arg.index) continue;
    if (auto v = value_at((*targets)[i], {"displayName"})) out.push_back((*v)[0]);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<Values> app(const json& event) {
  const std::string uri = str_or_empty(event, {"debugContext", "debugData", "requestUri"});
  constexpr std::string_view kPrefix = "/app/";
  if (!std::string_view(uri).starts_with(kPrefix)) return std::nullopt;
  std::string name = uri.substr(kPrefix.size());
  name = name.substr(0, name.find('/'));
  if (name.empty()) return std::nullopt;
  return Values{name};
}

}  // namespace

const std::vector<FieldSpec>& okta_fields() { return kFields; }

void MfaWindow::observe(const json& event, uint64_t ts) {
  const std::string kind = mfa_kind(event);
  if (kind.empty()) return;
  auto& times = times_[kind + ":" + str_or_empty(event, {"actor", "id"})];
  times.push_back(ts);
  while (times.size() > max_) times.pop_front();
  // Drop what has expired everywhere, so idle actors do not stay forever.
  for (auto it = times_.begin(); it != times_.end();) {
    while (!it->second.empty() && ts > expiration_ns_ && it->second.front() < ts - expiration_ns_)
      it->second.pop_front();
    it = it->second.empty() ? times_.erase(it) : std::next(it);
  }
}

std::optional<uint64_t> MfaWindow::count(const json& event, bool deny, uint64_t ts, uint64_t seconds) const {
  const std::string kind = mfa_kind(event);
  if (kind != (deny ? "deny" : "failure")) return std::nullopt;
  auto it = times_.find(kind + ":" + str_or_empty(event, {"actor", "id"}));
  if (it == times_.end()) return 0;
  const uint64_t window = seconds * 1000000000ull;
  const uint64_t oldest = ts > window ? ts - window : 0;
  uint64_t n = 0;
  for (uint64_t t : it->second)
    if (t > oldest && t <= ts) ++n;  // strictly inside, as upstream
  return n;
}

std::optional<Values> extract_okta_field(uint32_t id, const json& e, const FieldArg& arg, uint64_t ts,
                                         const std::string& organization, const MfaWindow& mfa) {
  if (id >= kFields.size() || !e.is_object()) return std::nullopt;
  const std::string_view n = kFields[id].name;
  if (n == "okta.app") return app(e);
  if (n == "okta.behaviors") return value_at(e, {"debugContext", "debugData", "behaviors"});
  if (n == "okta.org") return organization.empty() ? std::nullopt : std::optional<Values>(Values{organization});
  if (n == "okta.evt.type") return value_at(e, {"eventType"});
  if (n == "okta.evt.legacytype") return value_at(e, {"legacyEventType"});
  if (n == "okta.severity") return value_at(e, {"severity"});
  if (n == "okta.message") return value_at(e, {"displayMessage"});
  if (n == "okta.published") return value_at(e, {"published"});
  if (n == "okta.logonlysecuritydata") return value_at(e, {"logOnlySecurityData"});
  if (n == "okta.actor.id") return value_at(e, {"actor", "id"});
  if (n == "okta.actor.Type") return value_at(e, {"actor", "type"});
  if (n == "okta.actor.alternateid") return value_at(e, {"actor", "alternateId"});
  if (n == "okta.actor.name") return value_at(e, {"actor", "displayName"});
  if (n == "okta.client.zone") return value_at(e, {"client", "zone"});
  if (n == "okta.client.ip") return value_at(e, {"client", "ipAddress"});
  if (n == "okta.client.device") return value_at(e, {"client", "device"});
  if (n == "okta.client.id") return value_at(e, {"client", "id"});
  if (n == "okta.client.geo.city") return value_at(e, {"client", "geographicalContext", "city"});
  if (n == "okta.client.geo.state") return value_at(e, {"client", "geographicalContext", "state"});
  if (n == "okta.client.geo.country") return value_at(e, {"client", "geographicalContext", "country"});
  if (n == "okta.client.geo.postalcode") return value_at(e, {"client", "geographicalContext", "postalCode"});
  if (n == "okta.client.geo.lat") return value_at(e, {"client", "geographicalContext", "geolocation", "lat"});
  if (n == "okta.client.geo.lon") return value_at(e, {"client", "geographicalContext", "geolocation", "lon"});
  if (n == "okta.useragent.os") return value_at(e, {"client", "userAgent", "os"});
  if (n == "okta.useragent.browser") return value_at(e, {"client", "userAgent", "browser"});
  if (n == "okta.useragent.raw") return value_at(e, {"client", "userAgent", "rawUserAgent"});
  if (n == "okta.result") return value_at(e, {"outcome", "result"});
  if (n == "okta.reason") return value_at(e, {"outcome", "reason"});
  if (n == "okta.transaction.id") return value_at(e, {"transaction", "id"});
  if (n == "okta.transaction.type") return value_at(e, {"transaction", "type"});
  if (n == "okta.requesturi") return value_at(e, {"debugContext", "debugData", "requestUri"});
  if (n == "okta.principal.id") return value_at(e, {"debugContext", "debugData", "originalPrincipal", "id"});
  if (n == "okta.principal.alternateid")
    return value_at(e, {"debugContext", "debugData", "originalPrincipal", "alternateId"});
  if (n == "okta.principal.type") return value_at(e, {"debugContext", "debugData", "originalPrincipal", "type"});
  if (n == "okta.principal.name")
    return value_at(e, {"debugContext", "debugData", "originalPrincipal", "displayName"});
  if (n == "okta.authentication.step") return value_at(e, {"authenticationContext", "authenticationStep"});
  if (n == "okta.authentication.sessionid") return value_at(e, {"authenticationContext", "externalSessionId"});
  if (n == "okta.authentication.provider") return value_at(e, {"authenticationContext", "authenticationProvider"});
  if (n == "okta.authentication.credentialprovider")
    return value_at(e, {"authenticationContext", "credentialProvider"});
  if (n == "okta.security.asnumber") return value_at(e, {"securityContext", "asNumber"});
  if (n == "okta.security.asorg") return value_at(e, {"securityContext", "asOrg"});
  if (n == "okta.security.isp") return value_at(e, {"securityContext", "isp"});
  if (n == "okta.security.domain") return value_at(e, {"securityContext", "domain"});
  if (n == "okta.security.isproxy") return value_at(e, {"securityContext", "isProxy"});
  if (n == "okta.target.user.id") return target(e, "User", "id");
  if (n == "okta.target.user.alternateid") return target(e, "User", "alternateId");
  if (n == "okta.target.user.name") return target(e, "User", "displayName");
  if (n == "okta.target.group.id") return target(e, "UserGroup", "id");
  if (n == "okta.target.group.alternateid") return target(e, "UserGroup", "alternateId");
  if (n == "okta.target.group.name") return target(e, "UserGroup", "displayName");
  if (n == "okta.target.app.id") return target(e, "AppInstance", "id");
  if (n == "okta.target.app.alternateid") return target(e, "AppInstance", "alternateId");
  if (n == "okta.target.app.name") return target(e, "AppInstance", "displayName");
  if (n == "okta.targets.displayName") return target_names(e, arg);
  if (n == "okta.mfa.failure.countlast" || n == "okta.mfa.deny.countlast") {
    auto c = mfa.count(e, n == "okta.mfa.deny.countlast", ts, arg.index);
    if (!c) return std::nullopt;
    return Values{std::to_string(*c)};
  }
  return std::nullopt;
}

}  // namespace kestrel::okta
