#include "plugins/k8saudit/audit_fields.h"

#include "plugins/plugin_kit/rfc3339.h"

#include <initializer_list>

namespace kestrel::k8saudit {
namespace {

using json = nlohmann::json;
using Values = std::vector<std::string>;
constexpr ArgKind N = ArgKind::kNone;
constexpr ArgKind I = ArgKind::kIndex;
constexpr ArgKind K = ArgKind::kKey;

const json* at(const json& j, std::initializer_list<const char*> keys) {
  const json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::optional<Values> scalar(const json& j, std::initializer_list<const char*> keys) {
  const json* v = at(j, keys);
  if (!v || v->is_null()) return std::nullopt;
  return Values{text(*v)};
}

// A list field read from one path: each array element, or the one value.
std::optional<Values> listed(const json& j, std::initializer_list<const char*> keys) {
  const json* v = at(j, keys);
  if (!v || v->is_null()) return std::nullopt;
  Values out;
  if (v->is_array()) {
    for (const auto& e : *v) out.push_back(text(e));
  } else {
    out.push_back(text(*v));
  }
  return out;
}

// requestObject.spec.<which>[*], or only element `index` when given.
std::vector<const json*> pod_items(const json& j, const char* which, const FieldArg& arg) {
  std::vector<const json*> out;
  const json* arr = at(j, {"requestObject", "spec", which});
  if (!arr || !arr->is_array()) return out;
  if (arg.present) {
    if (arg.index < arr->size()) out.push_back(&(*arr)[arg.index]);
    return out;
  }
  for (const auto& e : *arr) out.push_back(&e);
  return out;
}

// The value at `keys` in each item, skipping items without it.
std::optional<Values> per_item(const std::vector<const json*>& items, std::initializer_list<const char*> keys) {
  Values out;
  for (const json* c : items) {
    const json* v = at(*c, keys);
    if (!v || v->is_null()) continue;
    if (v->is_array()) {
      for (const auto& e : *v) out.push_back(text(e));
    } else {
      out.push_back(text(*v));
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// "registry:5000/ns/img:tag@sha256:…" -> "registry:5000/ns/img".
std::string image_repository(std::string image) {
  if (auto at_pos = image.find('@'); at_pos != std::string::npos) image.resize(at_pos);
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) image.resize(colon);
  return image;
}

std::optional<Values> repositories(const json& j, const char* which, const FieldArg& arg) {
  auto images = per_item(pod_items(j, which, arg), {"image"});
  if (!images) return std::nullopt;
  for (auto& s : *images) s = image_repository(s);
  return images;
}

// Container setting, else the pod's, else "0" (the effective runAsUser /
// runAsGroup of each container).
std::optional<Values> effective(const json& j, const FieldArg& arg, const char* key) {
  Values out;
  const json* pod = at(j, {"requestObject", "spec", "securityContext", key});
  for (const json* c : pod_items(j, "containers", arg)) {
    const json* v = at(*c, {"securityContext", key});
    if (v && !v->is_null()) out.push_back(text(*v));
    else if (pod && !pod->is_null()) out.push_back(text(*pod));
    else out.push_back("0");
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// requestObject.rules[*].<key>[*] (rule `index` only, when given).
std::optional<Values> rules_field(const json& j, const FieldArg& arg, const char* key) {
  const json* rules = at(j, {"requestObject", "rules"});
  if (!rules || !rules->is_array()) return std::nullopt;
  Values out;
  for (size_t i = 0; i < rules->size(); ++i) {
    if (arg.present && i != arg.index) continue;
    const json* v = at((*rules)[i], {key});
    if (!v || !v->is_array()) continue;
    for (const auto& e : *v) out.push_back(text(e));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The first value of query parameter `key` in requestURI.
std::optional<Values> uri_param(const json& j, const std::string& key) {
  const json* uri = at(j, {"requestURI"});
  if (!uri || !uri->is_string()) return std::nullopt;
  const std::string& u = uri->get_ref<const std::string&>();
  auto q = u.find('?');
  if (q == std::string::npos) return std::nullopt;
  std::string_view rest(u);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) == key)
      return Values{eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1))};
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// containers[*].ports[*].hostPort.
std::optional<Values> host_ports(const json& j, const FieldArg& arg) {
  Values out;
  for (const json* c : pod_items(j, "containers", arg)) {
    const json* ports = at(*c, {"ports"});
    if (!ports || !ports->is_array()) continue;
    for (const auto& p : *ports)
      if (const json* hp = at(p, {"hostPort"}); hp && !hp->is_null()) out.push_back(text(*hp));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<Values> volume_hostpath(const json& j, const std::string& arg) {
  FieldArg all;
  auto paths = per_item(pod_items(j, "volumes", all), {"hostPath", "path"});
  bool prefix = !arg.empty() && arg.back() == '*';
  std::string_view want(arg);
  if (prefix) want.remove_suffix(1);
  if (paths)
    for (const auto& p : *paths)
      if (prefix ? std::string_view(p).starts_with(want) : p == arg) return Values{"true"};
  return Values{"false"};
}

std::optional<Values> any_privileged(const json& j) {
  FieldArg all;
  for (const json* c : pod_items(j, "containers", all)) {
    const json* v = at(*c, {"securityContext", "privileged"});
    if (v && v->is_boolean() && v->get<bool>()) return Values{"true"};
  }
  return Values{"false"};
}

std::optional<Values> volume_types(const json& j, const FieldArg& arg) {
  Values out;
  for (const json* v : pod_items(j, "volumes", arg)) {
    if (!v->is_object()) continue;
    for (auto it = v->begin(); it != v->end(); ++it)
      if (it.key() != "name") out.push_back(it.key());
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<Values> json_pointer(const json& j, const std::string& ptr) {
  try {
    json::json_pointer p(ptr);
    if (!j.contains(p)) return std::nullopt;
    const json& v = j.at(p);
    if (v.is_null()) return std::nullopt;
    return Values{text(v)};
  } catch (const json::exception&) {
    return std::nullopt;  // not a valid JSON pointer
  }
}

const std::vector<AuditField> kFields = {
    {"ka.auditid", false, false, N, false, "The unique id of the audit event"},
    {"ka.stage", false, false, N, false, "Stage of the request (e.g. RequestReceived, ResponseComplete, etc.)"},
    {"ka.auth.decision", false, false, N, false, "The authorization decision"},
    {"ka.auth.reason", false, false, N, false, "The authorization reason"},
    {"ka.user.name", false, false, N, false, "The user name performing the request"},
    {"ka.user.groups", true, false, N, false, "The groups to which the user belongs"},
    {"ka.impuser.name", false, false, N, false, "The impersonated user name"},
    {"ka.verb", false, false, N, false, "The action being performed"},
    {"ka.uri", false, false, N, false, "The request URI as sent from client to server"},
    {"ka.uri.param", false, false, K, true, "The value of a given query parameter in the uri"},
    {"ka.target.name", false, false, N, false, "The target object name"},
    {"ka.target.namespace", false, false, N, false, "The target object namespace"},
    {"ka.target.resource", false, false, N, false, "The target object resource"},
    {"ka.target.subresource", false, false, N, false, "The target object subresource"},
    {"ka.target.pod.name", false, false, N, false, "The target pod name"},
    {"ka.req.binding.subjects", true, false, N, false, "When the request object refers to a cluster role binding, the subject"},
    {"ka.req.binding.role", false, false, N, false, "When the request object refers to a cluster role binding, the role"},
    {"ka.req.binding.subject.has_name", false, false, K, true, "Deprecated, always returns \"true\""},
    {"ka.req.configmap.name", false, false, N, false, "If the request object refers to a configmap, the configmap name"},
    {"ka.req.configmap.obj", false, false, N, false, "If the request object refers to a configmap, the entire configmap object"},
    {"ka.req.pod.containers.image", true, false, I, false, "When the request object refers to a pod, the container's images"},
    {"ka.req.container.image", false, false, N, false, "Deprecated: the first container's image"},
    {"ka.req.pod.containers.image.repository", true, false, I, false, "The container's repository (no tag)"},
    {"ka.req.container.image.repository", false, false, N, false, "Deprecated: the first container's repository"},
    {"ka.req.pod.host_ipc", false, false, N, false, "The pod's hostIPC flag"},
    {"ka.req.pod.host_network", false, false, N, false, "The pod's hostNetwork flag"},
    {"ka.req.container.host_network", false, false, N, false, "Deprecated alias for ka.req.pod.host_network"},
    {"ka.req.pod.host_pid", false, false, N, false, "The pod's hostPID flag"},
    {"ka.req.pod.containers.host_port", true, false, I, false, "The container's hostPort values"},
    {"ka.req.pod.containers.privileged", true, false, I, false, "The container's securityContext.privileged values"},
    {"ka.req.container.privileged", false, true, N, false, "true if any container is privileged"},
    {"ka.req.pod.containers.allow_privilege_escalation", true, false, I, false, "allowPrivilegeEscalation values"},
    {"ka.req.pod.containers.read_only_fs", true, false, I, false, "readOnlyRootFilesystem values"},
    {"ka.req.pod.run_as_user", false, false, N, false, "The pod's runAsUser"},
    {"ka.req.pod.containers.run_as_user", true, false, I, false, "The container's runAsUser"},
    {"ka.req.pod.containers.eff_run_as_user", true, false, I, false, "The effective runAsUser of each container"},
    {"ka.req.pod.run_as_group", false, false, N, false, "The pod's runAsGroup"},
    {"ka.req.pod.containers.run_as_group", true, false, I, false, "The container's runAsGroup"},
    {"ka.req.pod.containers.eff_run_as_group", true, false, I, false, "The effective runAsGroup of each container"},
    {"ka.req.pod.containers.proc_mount", true, false, I, false, "The container's procMount"},
    {"ka.req.role.rules", true, false, N, false, "The rules of a role"},
    {"ka.req.role.rules.apiGroups", true, false, I, false, "The apiGroups of the role's rules"},
    {"ka.req.role.rules.nonResourceURLs", true, false, I, false, "The nonResourceURLs of the role's rules"},
    {"ka.req.role.rules.verbs", true, false, I, false, "The verbs of the role's rules"},
    {"ka.req.role.rules.resources", true, false, I, false, "The resources of the role's rules"},
    {"ka.req.pod.fs_group", false, false, N, false, "The pod's fsGroup"},
    {"ka.req.pod.supplemental_groups", true, false, N, false, "The pod's supplementalGroups"},
    {"ka.req.pod.containers.add_capabilities", true, false, I, false, "Capabilities added to the containers"},
    {"ka.req.service.type", false, false, N, false, "The service type"},
    {"ka.req.service.ports", true, false, N, false, "The service's ports"},
    {"ka.req.pod.volumes.hostpath", true, false, I, false, "The hostPath paths of the pod's volumes"},
    {"ka.req.volume.hostpath", false, false, K, true, "true if a hostPath volume mounts the path (trailing * matches a prefix)"},
    {"ka.req.pod.volumes.flexvolume_driver", true, false, I, false, "The flexVolume drivers of the pod's volumes"},
    {"ka.req.pod.volumes.volume_type", true, false, I, false, "The volume types of the pod's volumes"},
    {"ka.req.pod.initContainers.image", true, false, I, false, "The init containers' images"},
    {"ka.req.pod.initContainers.privileged", true, false, I, false, "The init containers' privileged values"},
    {"ka.req.pod.ephemeralContainers.image", true, false, I, false, "The ephemeral containers' images"},
    {"ka.req.pod.ephemeralContainers.privileged", true, false, I, false, "The ephemeral containers' privileged values"},
    {"ka.resp.name", false, false, N, false, "The response object name"},
    {"ka.response.code", false, false, N, false, "The response code"},
    {"ka.response.reason", false, false, N, false, "The response reason"},
    {"ka.useragent", false, false, N, false, "The user agent of the client"},
    {"ka.sourceips", true, false, I, false, "The IP addresses of the client"},
    {"jevt.time", false, false, N, false, "The event timestamp, as in the event"},
    {"jevt.time.iso8601", false, false, N, false, "The event timestamp in ISO 8601"},
    {"jevt.rawtime", false, false, N, false, "The event timestamp in ns since the epoch"},
    {"jevt.value", false, false, K, true, "The value at a JSON pointer (jevt.value[/user/username])"},
    {"jevt.obj", false, false, N, false, "The entire event as JSON"},
};

}  // namespace

const std::vector<AuditField>& audit_fields() { return kFields; }

std::string audit_fields_json() {
  json arr = json::array();
  for (const auto& f : kFields) {
    json e = {{"name", f.name}, {"type", f.is_bool ? "bool" : "string"}, {"desc", f.desc}};
    if (f.is_list) e["isList"] = true;
    if (f.arg != N)
      e["arg"] = {{"isRequired", f.arg_required}, {"isIndex", f.arg == I}, {"isKey", f.arg == K}};
    arr.push_back(std::move(e));
  }
  return arr.dump();
}

std::optional<uint64_t> audit_event_time_ns(const json& j) {
  for (const char* key : {"stageTimestamp", "timestamp"}) {
    const json* v = at(j, {key});
    if (!v || !v->is_string()) continue;
    const std::string& s = v->get_ref<const std::string&>();
    if (auto ns = kestrel::plugin_kit::rfc3339_ns(s)) return ns;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> extract_audit_field(uint32_t id, const json& j, const FieldArg& arg) {
  if (id >= kFields.size() || !j.is_object()) return std::nullopt;
  const std::string_view name = kFields[id].name;
  if (name == "ka.auditid") return scalar(j, {"auditID"});
  if (name == "ka.stage") return scalar(j, {"stage"});
  if (name == "ka.auth.decision") return scalar(j, {"annotations", "authorization.k8s.io/decision"});
  if (name == "ka.auth.reason") return scalar(j, {"annotations", "authorization.k8s.io/reason"});
  if (name == "ka.user.name") return scalar(j, {"user", "username"});
  if (name == "ka.user.groups") return listed(j, {"user", "groups"});
  if (name == "ka.impuser.name") return scalar(j, {"impersonatedUser", "username"});
  if (name == "ka.verb") return scalar(j, {"verb"});
  if (name == "ka.uri") return scalar(j, {"requestURI"});
  if (name == "ka.uri.param") return uri_param(j, arg.key);
  if (name == "ka.target.name") return scalar(j, {"objectRef", "name"});
  if (name == "ka.target.namespace") return scalar(j, {"objectRef", "namespace"});
  if (name == "ka.target.resource") return scalar(j, {"objectRef", "resource"});
  if (name == "ka.target.subresource") return scalar(j, {"objectRef", "subresource"});
  if (name == "ka.target.pod.name") {
    const json* r = at(j, {"objectRef", "resource"});
    if (!r || !r->is_string() || r->get<std::string>() != "pods") return std::nullopt;
    return scalar(j, {"objectRef", "name"});
  }
  if (name == "ka.req.binding.subjects") return listed(j, {"requestObject", "subjects"});
  if (name == "ka.req.binding.role") return scalar(j, {"requestObject", "roleRef", "name"});
  if (name == "ka.req.binding.subject.has_name") return Values{"true"};
  if (name == "ka.req.configmap.name") return scalar(j, {"objectRef", "name"});
  if (name == "ka.req.configmap.obj") return scalar(j, {"requestObject", "data"});
  if (name == "ka.req.pod.containers.image") return per_item(pod_items(j, "containers", arg), {"image"});
  if (name == "ka.req.pod.containers.image.repository") return repositories(j, "containers", arg);
  if (name == "ka.req.container.image" || name == "ka.req.container.image.repository") {
    FieldArg first{true, 0, {}};
    return name.ends_with("repository") ? repositories(j, "containers", first)
                                        : per_item(pod_items(j, "containers", first), {"image"});
  }
  if (name == "ka.req.pod.host_ipc") return scalar(j, {"requestObject", "spec", "hostIPC"});
  if (name == "ka.req.pod.host_network" || name == "ka.req.container.host_network")
    return scalar(j, {"requestObject", "spec", "hostNetwork"});
  if (name == "ka.req.pod.host_pid") return scalar(j, {"requestObject", "spec", "hostPID"});
  if (name == "ka.req.pod.containers.host_port") return host_ports(j, arg);
  if (name == "ka.req.pod.containers.privileged")
    return per_item(pod_items(j, "containers", arg), {"securityContext", "privileged"});
  if (name == "ka.req.container.privileged") return any_privileged(j);
  if (name == "ka.req.pod.containers.allow_privilege_escalation")
    return per_item(pod_items(j, "containers", arg), {"securityContext", "allowPrivilegeEscalation"});
  if (name == "ka.req.pod.containers.read_only_fs")
    return per_item(pod_items(j, "containers", arg), {"securityContext", "readOnlyRootFilesystem"});
  if (name == "ka.req.pod.run_as_user") return scalar(j, {"requestObject", "spec", "securityContext", "runAsUser"});
  if (name == "ka.req.pod.containers.run_as_user")
    return per_item(pod_items(j, "containers", arg), {"securityContext", "runAsUser"});
  if (name == "ka.req.pod.containers.eff_run_as_user") return effective(j, arg, "runAsUser");
  if (name == "ka.req.pod.run_as_group") return scalar(j, {"requestObject", "spec", "securityContext", "runAsGroup"});
  if (name == "ka.req.pod.containers.run_as_group")
    return per_item(pod_items(j, "containers", arg), {"securityContext", "runAsGroup"});
  if (name == "ka.req.pod.containers.eff_run_as_group") return effective(j, arg, "runAsGroup");
  if (name == "ka.req.pod.containers.proc_mount")
    return per_item(pod_items(j, "containers", arg), {"securityContext", "procMount"});
  if (name == "ka.req.role.rules") return listed(j, {"requestObject", "rules"});
  if (name == "ka.req.role.rules.apiGroups") return rules_field(j, arg, "apiGroups");
  if (name == "ka.req.role.rules.nonResourceURLs") return rules_field(j, arg, "nonResourceURLs");
  if (name == "ka.req.role.rules.verbs") return rules_field(j, arg, "verbs");
  if (name == "ka.req.role.rules.resources") return rules_field(j, arg, "resources");
  if (name == "ka.req.pod.fs_group") return scalar(j, {"requestObject", "spec", "securityContext", "fsGroup"});
  if (name == "ka.req.pod.supplemental_groups")
    return listed(j, {"requestObject", "spec", "securityContext", "supplementalGroups"});
  if (name == "ka.req.pod.containers.add_capabilities")
    return per_item(pod_items(j, "containers", arg), {"securityContext", "capabilities", "add"});
  if (name == "ka.req.service.type") return scalar(j, {"requestObject", "spec", "type"});
  if (name == "ka.req.service.ports") return listed(j, {"requestObject", "spec", "ports"});
  if (name == "ka.req.pod.volumes.hostpath") return per_item(pod_items(j, "volumes", arg), {"hostPath", "path"});
  if (name == "ka.req.volume.hostpath") return volume_hostpath(j, arg.key);
  if (name == "ka.req.pod.volumes.flexvolume_driver")
    return per_item(pod_items(j, "volumes", arg), {"flexVolume", "driver"});
  if (name == "ka.req.pod.volumes.volume_type") return volume_types(j, arg);
  if (name == "ka.req.pod.initContainers.image") return per_item(pod_items(j, "initContainers", arg), {"image"});
  if (name == "ka.req.pod.initContainers.privileged")
    return per_item(pod_items(j, "initContainers", arg), {"securityContext", "privileged"});
  if (name == "ka.req.pod.ephemeralContainers.image")
    return per_item(pod_items(j, "ephemeralContainers", arg), {"image"});
  if (name == "ka.req.pod.ephemeralContainers.privileged")
    return per_item(pod_items(j, "ephemeralContainers", arg), {"securityContext", "privileged"});
  if (name == "ka.resp.name") return scalar(j, {"responseObject", "metadata", "name"});
  if (name == "ka.response.code") return scalar(j, {"responseStatus", "code"});
  if (name == "ka.response.reason") return scalar(j, {"responseStatus", "reason"});
  if (name == "ka.useragent") return scalar(j, {"userAgent"});
  if (name == "ka.sourceips") {
    auto ips = listed(j, {"sourceIPs"});
    if (ips && arg.present) {
      if (arg.index >= ips->size()) return std::nullopt;
      return Values{(*ips)[arg.index]};
    }
    return ips;
  }
  if (name == "jevt.time" || name == "jevt.time.iso8601") {
    auto t = scalar(j, {"stageTimestamp"});
    return t ? t : scalar(j, {"timestamp"});
  }
  if (name == "jevt.rawtime") {
    auto ns = audit_event_time_ns(j);
    if (!ns) return std::nullopt;
    return Values{std::to_string(*ns)};
  }
  if (name == "jevt.value") return json_pointer(j, arg.key);
  if (name == "jevt.obj") return Values{j.dump()};
  return std::nullopt;
}

}  // namespace kestrel::k8saudit
