// Field sets of the plugin sources Falco's plugin rulesets use: k8saudit
// (ka.*, jevt.*), cloudtrail (ct.*, s3.*, ec2.*), json (json.*), github and
// okta. Names and argument forms follow each plugin's field table, so the
// upstream plugin rulesets validate. No row here has an extractor: a loaded
// plugin fills its fields through the set it declares
// (FieldRegistry::add_plugin_fields, declared_plugin_fields.cpp), which is
// looked up before these copies.
#include "engine/eval/extract.h"
#include "engine/fields/field_registry.h"

namespace kestrel::engine {
namespace {

using T = FieldType;
using A = FieldArg;
using eval::kNotFilled;
constexpr bool Y = true;
constexpr bool N = false;


constexpr FieldInfo kJsonFields[] = {
    {"json.value", T::kString, A::kKey, Y, N, kNotFilled, "value at a JSON pointer (json.value[/user/name])"},
    {"json.obj", T::kString, A::kNone, N, N, kNotFilled, "the full event as JSON"},
    {"json.rawtime", T::kString, A::kNone, N, N, kNotFilled, "time of the event, as in the JSON"},
};

constexpr FieldInfo kK8sAuditFields[] = {
    {"ka.auditid", T::kString, A::kNone, N, N, kNotFilled, "audit event id"},
    {"ka.stage", T::kString, A::kNone, N, N, kNotFilled, "stage of the request"},
    {"ka.auth.decision", T::kString, A::kNone, N, N, kNotFilled, "authorization decision"},
    {"ka.auth.reason", T::kString, A::kNone, N, N, kNotFilled, "authorization reason"},
    {"ka.auth.openshift.decision", T::kString, A::kNone, N, N, kNotFilled, "OpenShift authorization decision"},
    {"ka.auth.openshift.username", T::kString, A::kNone, N, N, kNotFilled, "OpenShift authorization user"},
    {"ka.user.name", T::kString, A::kNone, N, N, kNotFilled, "user name performing the request"},
    {"ka.user.groups", T::kStringList, A::kNone, N, N, kNotFilled, "groups of the user"},
    {"ka.impuser.name", T::kString, A::kNone, N, N, kNotFilled, "impersonated user name"},
    {"ka.verb", T::kString, A::kNone, N, N, kNotFilled, "action being performed"},
    {"ka.uri", T::kString, A::kNone, N, N, kNotFilled, "request URI"},
    {"ka.uri.param", T::kString, A::kKey, Y, N, kNotFilled, "value of a URI query parameter"},
    {"ka.target.name", T::kString, A::kNone, N, N, kNotFilled, "target object name"},
    {"ka.target.namespace", T::kString, A::kNone, N, N, kNotFilled, "target object namespace"},
    {"ka.target.resource", T::kString, A::kNone, N, N, kNotFilled, "target object resource"},
    {"ka.target.subresource", T::kString, A::kNone, N, N, kNotFilled, "target object subresource"},
    {"ka.target.pod.name", T::kString, A::kNone, N, N, kNotFilled, "target pod name"},
    {"ka.req.binding.subjects", T::kStringList, A::kNone, N, N, kNotFilled, "subjects of a role binding"},
    {"ka.req.binding.role", T::kString, A::kNone, N, N, kNotFilled, "role of a role binding"},
    {"ka.req.binding.subject.has_name", T::kString, A::kKey, Y, N, kNotFilled, "true if a subject has the name"},
    {"ka.req.configmap.name", T::kString, A::kNone, N, N, kNotFilled, "configmap name"},
    {"ka.req.configmap.obj", T::kString, A::kNone, N, N, kNotFilled, "configmap object"},
    {"ka.req.pod.containers.image", T::kStringList, A::kIndex, N, N, kNotFilled, "container images"},
    {"ka.req.container.image", T::kString, A::kNone, N, N, kNotFilled, "first container image (deprecated)"},
    {"ka.req.pod.containers.image.repository", T::kStringList, A::kIndex, N, N, kNotFilled, "container image repositories"},
    {"ka.req.container.image.repository", T::kString, A::kNone, N, N, kNotFilled, "first image repository (deprecated)"},
    {"ka.req.pod.host_ipc", T::kString, A::kNone, N, N, kNotFilled, "pod hostIPC flag"},
    {"ka.req.pod.host_network", T::kString, A::kNone, N, N, kNotFilled, "pod hostNetwork flag"},
    {"ka.req.container.host_network", T::kString, A::kNone, N, N, kNotFilled, "pod hostNetwork flag (deprecated)"},
    {"ka.req.pod.host_pid", T::kString, A::kNone, N, N, kNotFilled, "pod hostPID flag"},
    {"ka.req.pod.containers.host_port", T::kStringList, A::kIndex, N, N, kNotFilled, "container host ports"},
    {"ka.req.pod.containers.privileged", T::kStringList, A::kIndex, N, N, kNotFilled, "container privileged flags"},
    {"ka.req.container.privileged", T::kBool, A::kNone, N, N, kNotFilled, "any container privileged (deprecated)"},
    {"ka.req.pod.containers.allow_privilege_escalation", T::kStringList, A::kIndex, N, N, kNotFilled,
     "container allowPrivilegeEscalation flags"},
    {"ka.req.pod.containers.read_only_fs", T::kStringList, A::kIndex, N, N, kNotFilled, "container readOnlyRootFilesystem"},
    {"ka.req.pod.run_as_user", T::kString, A::kNone, N, N, kNotFilled, "pod runAsUser"},
    {"ka.req.pod.containers.run_as_user", T::kStringList, A::kIndex, N, N, kNotFilled, "container runAsUser"},
    {"ka.req.pod.containers.eff_run_as_user", T::kStringList, A::kIndex, N, N, kNotFilled, "effective runAsUser"},
    {"ka.req.pod.run_as_group", T::kString, A::kNone, N, N, kNotFilled, "pod runAsGroup"},
    {"ka.req.pod.containers.run_as_group", T::kStringList, A::kIndex, N, N, kNotFilled, "container runAsGroup"},
    {"ka.req.pod.containers.eff_run_as_group", T::kStringList, A::kIndex, N, N, kNotFilled, "effective runAsGroup"},
    {"ka.req.pod.containers.proc_mount", T::kStringList, A::kIndex, N, N, kNotFilled, "container procMount"},
    {"ka.req.role.rules", T::kStringList, A::kNone, N, N, kNotFilled, "role rules"},
    {"ka.req.role.rules.apiGroups", T::kStringList, A::kIndex, N, N, kNotFilled, "role rule apiGroups"},
    {"ka.req.role.rules.nonResourceURLs", T::kStringList, A::kIndex, N, N, kNotFilled, "role rule nonResourceURLs"},
    {"ka.req.role.rules.verbs", T::kStringList, A::kIndex, N, N, kNotFilled, "role rule verbs"},
    {"ka.req.role.rules.resources", T::kStringList, A::kIndex, N, N, kNotFilled, "role rule resources"},
    {"ka.req.pod.fs_group", T::kString, A::kNone, N, N, kNotFilled, "pod fsGroup"},
    {"ka.req.pod.supplemental_groups", T::kStringList, A::kNone, N, N, kNotFilled, "pod supplementalGroups"},
    {"ka.req.pod.containers.add_capabilities", T::kStringList, A::kIndex, N, N, kNotFilled, "added capabilities"},
    {"ka.req.service.type", T::kString, A::kNone, N, N, kNotFilled, "service type"},
    {"ka.req.service.ports", T::kStringList, A::kNone, N, N, kNotFilled, "service ports"},
    {"ka.req.pod.volumes.hostpath", T::kStringList, A::kIndex, N, N, kNotFilled, "hostPath volume paths"},
    {"ka.req.volume.hostpath", T::kString, A::kKey, Y, N, kNotFilled, "true if a hostPath volume mounts the path"},
    {"ka.req.pod.volumes.flexvolume_driver", T::kStringList, A::kIndex, N, N, kNotFilled, "flexVolume drivers"},
    {"ka.req.pod.volumes.volume_type", T::kStringList, A::kIndex, N, N, kNotFilled, "volume types"},
    {"ka.req.pod.initContainers.image", T::kStringList, A::kIndex, N, N, kNotFilled, "init container images"},
    {"ka.req.pod.initContainers.privileged", T::kStringList, A::kIndex, N, N, kNotFilled, "init container privileged flags"},
    {"ka.req.pod.ephemeralContainers.image", T::kStringList, A::kIndex, N, N, kNotFilled, "ephemeral container images"},
    {"ka.req.pod.ephemeralContainers.privileged", T::kStringList, A::kIndex, N, N, kNotFilled,
     "ephemeral container privileged flags"},
    {"ka.resp.name", T::kString, A::kNone, N, N, kNotFilled, "response object name"},
    {"ka.response.code", T::kString, A::kNone, N, N, kNotFilled, "response code"},
    {"ka.response.reason", T::kString, A::kNone, N, N, kNotFilled, "response reason"},
    {"ka.useragent", T::kString, A::kNone, N, N, kNotFilled, "user agent of the client"},
    {"ka.sourceips", T::kStringList, A::kIndex, N, N, kNotFilled, "source IPs of the request"},
    {"ka.cluster.name", T::kString, A::kNone, N, N, kNotFilled, "cluster name"},
    {"jevt.time", T::kString, A::kNone, N, N, kNotFilled, "event time as a string"},
    {"jevt.time.iso8601", T::kString, A::kNone, N, N, kNotFilled, "event time in ISO 8601"},
    {"jevt.rawtime", T::kString, A::kNone, N, N, kNotFilled, "event time in ns since epoch"},
    {"jevt.value", T::kString, A::kKey, Y, N, kNotFilled, "value at a JSON pointer"},
    {"jevt.obj", T::kString, A::kNone, N, N, kNotFilled, "the full event as JSON"},
};

constexpr FieldInfo kCloudtrailFields[] = {
    {"ct.id", T::kString, A::kNone, N, N, kNotFilled, "unique event id"},
    {"ct.error", T::kString, A::kNone, N, N, kNotFilled, "error code of the event"},
    {"ct.errormessage", T::kString, A::kNone, N, N, kNotFilled, "error message of the event"},
    {"ct.time", T::kString, A::kNone, N, N, kNotFilled, "event time"},
    {"ct.src", T::kString, A::kNone, N, N, kNotFilled, "source of the event (e.g. s3.amazonaws.com)"},
    {"ct.shortsrc", T::kString, A::kNone, N, N, kNotFilled, "source without .amazonaws.com"},
    {"ct.name", T::kString, A::kNone, N, N, kNotFilled, "name of the event (e.g. PutBucketPolicy)"},
    {"ct.user", T::kString, A::kNone, N, N, kNotFilled, "user who made the request"},
    {"ct.user.accountid", T::kString, A::kNone, N, N, kNotFilled, "account id of the user"},
    {"ct.user.identitytype", T::kString, A::kNone, N, N, kNotFilled, "identity type of the user"},
    {"ct.user.principalid", T::kString, A::kNone, N, N, kNotFilled, "principal id of the user"},
    {"ct.user.arn", T::kString, A::kNone, N, N, kNotFilled, "ARN of the user"},
    {"ct.region", T::kString, A::kNone, N, N, kNotFilled, "region of the request"},
    {"ct.response.subnetid", T::kString, A::kNone, N, N, kNotFilled, "subnet id in the response"},
    {"ct.response.reservationid", T::kString, A::kNone, N, N, kNotFilled, "reservation id in the response"},
    {"ct.response", T::kString, A::kNone, N, N, kNotFilled, "all response elements"},
    {"ct.request.availabilityzone", T::kString, A::kNone, N, N, kNotFilled, "availability zone in the request"},
    {"ct.request.cluster", T::kString, A::kNone, N, N, kNotFilled, "cluster in the request"},
    {"ct.request.functionname", T::kString, A::kNone, N, N, kNotFilled, "function name in the request"},
    {"ct.request.groupname", T::kString, A::kNone, N, N, kNotFilled, "group name in the request"},
    {"ct.request.host", T::kString, A::kNone, N, N, kNotFilled, "host in the request"},
    {"ct.request.name", T::kString, A::kNone, N, N, kNotFilled, "name in the request"},
    {"ct.request.policy", T::kString, A::kNone, N, N, kNotFilled, "policy in the request"},
    {"ct.request.serialnumber", T::kString, A::kNone, N, N, kNotFilled, "serial number in the request"},
    {"ct.request.servicename", T::kString, A::kNone, N, N, kNotFilled, "service name in the request"},
    {"ct.request.subnetid", T::kString, A::kNone, N, N, kNotFilled, "subnet id in the request"},
    {"ct.request.taskdefinition", T::kString, A::kNone, N, N, kNotFilled, "task definition in the request"},
    {"ct.request.username", T::kString, A::kNone, N, N, kNotFilled, "user name in the request"},
    {"ct.request", T::kString, A::kNone, N, N, kNotFilled, "all request parameters"},
    {"ct.srcip", T::kString, A::kNone, N, N, kNotFilled, "IP address the request came from"},
    {"ct.useragent", T::kString, A::kNone, N, N, kNotFilled, "user agent of the request"},
    {"ct.info", T::kString, A::kNone, N, N, kNotFilled, "summary of the event"},
    {"ct.managementevent", T::kString, A::kNone, N, N, kNotFilled, "true for management events"},
    {"ct.readonly", T::kString, A::kNone, N, N, kNotFilled, "true for read-only events"},
    {"ct.requestid", T::kString, A::kNone, N, N, kNotFilled, "request id"},
    {"ct.eventtype", T::kString, A::kNone, N, N, kNotFilled, "event type"},
    {"ct.apiversion", T::kString, A::kNone, N, N, kNotFilled, "API version"},
    {"ct.resources", T::kString, A::kNone, N, N, kNotFilled, "resources of the event"},
    {"ct.recipientaccountid", T::kString, A::kNone, N, N, kNotFilled, "recipient account id"},
    {"ct.serviceevent", T::kString, A::kNone, N, N, kNotFilled, "true for service events"},
    {"ct.additionaleventdata", T::kString, A::kNone, N, N, kNotFilled, "additional event data"},
    {"ct.sharedeventid", T::kString, A::kNone, N, N, kNotFilled, "shared event id"},
    {"ct.vpcendpointid", T::kString, A::kNone, N, N, kNotFilled, "VPC endpoint id"},
    {"ct.eventcategory", T::kString, A::kNone, N, N, kNotFilled, "event category"},
    {"s3.uri", T::kString, A::kNone, N, N, kNotFilled, "S3 URI"},
    {"s3.bucket", T::kString, A::kNone, N, N, kNotFilled, "S3 bucket name"},
    {"s3.key", T::kString, A::kNone, N, N, kNotFilled, "S3 key name"},
    {"s3.bytes", T::kUint64, A::kNone, N, N, kNotFilled, "bytes transferred"},
    {"s3.bytes.in", T::kUint64, A::kNone, N, N, kNotFilled, "bytes received"},
    {"s3.bytes.out", T::kUint64, A::kNone, N, N, kNotFilled, "bytes sent"},
    {"s3.cnt.get", T::kUint64, A::kNone, N, N, kNotFilled, "1 for GET operations"},
    {"s3.cnt.put", T::kUint64, A::kNone, N, N, kNotFilled, "1 for PUT operations"},
    {"s3.cnt.other", T::kUint64, A::kNone, N, N, kNotFilled, "1 for other operations"},
    {"ec2.name", T::kString, A::kNone, N, N, kNotFilled, "EC2 instance name"},
    {"ec2.imageid", T::kString, A::kNone, N, N, kNotFilled, "EC2 image id"},
    {"ecr.repository", T::kString, A::kNone, N, N, kNotFilled, "ECR repository"},
    {"ecr.imagetag", T::kString, A::kNone, N, N, kNotFilled, "ECR image tag"},
};

constexpr FieldInfo kGithubFields[] = {
    {"github.type", T::kString, A::kNone, N, N, kNotFilled, "webhook message type"},
    {"github.action", T::kString, A::kNone, N, N, kNotFilled, "action of the message"},
    {"github.user", T::kString, A::kNone, N, N, kNotFilled, "user that caused the event"},
    {"github.owner", T::kString, A::kNone, N, N, kNotFilled, "owner of the repository"},
    {"github.repo", T::kString, A::kNone, N, N, kNotFilled, "repository name (owner/name)"},
    {"github.repo.name", T::kString, A::kNone, N, N, kNotFilled, "repository name"},
    {"github.repo.url", T::kString, A::kNone, N, N, kNotFilled, "repository URL"},
    {"github.repo.public", T::kString, A::kNone, N, N, kNotFilled, "'true' for public repositories"},
    {"github.org", T::kString, A::kNone, N, N, kNotFilled, "organization"},
    {"github.collaborator.name", T::kString, A::kNone, N, N, kNotFilled, "added collaborator"},
    {"github.collaborator.role", T::kString, A::kNone, N, N, kNotFilled, "role of the added collaborator"},
    {"github.webhook.id", T::kString, A::kNone, N, N, kNotFilled, "webhook id"},
    {"github.webhook.type", T::kString, A::kNone, N, N, kNotFilled, "webhook type"},
    {"github.commit.modified", T::kString, A::kNone, N, N, kNotFilled, "modified files of a push"},
    {"github.diff.has_secrets", T::kString, A::kNone, N, N, kNotFilled, "'true' if a push contains secrets"},
    {"github.diff.committed_secrets.desc", T::kString, A::kNone, N, N, kNotFilled, "types of committed secrets"},
    {"github.diff.committed_secrets.files", T::kString, A::kNone, N, N, kNotFilled, "files with committed secrets"},
    {"github.diff.committed_secrets.lines", T::kString, A::kNone, N, N, kNotFilled, "lines with committed secrets"},
    {"github.diff.committed_secrets.links", T::kString, A::kNone, N, N, kNotFilled, "links to committed secrets"},
    {"github.workflow.has_miners", T::kString, A::kNone, N, N, kNotFilled, "'true' if a workflow runs a miner"},
    {"github.workflow.miners_type", T::kString, A::kNone, N, N, kNotFilled, "types of miners found"},
    {"github.workflow.filename", T::kString, A::kNone, N, N, kNotFilled, "workflow file name"},
};

constexpr FieldInfo kOktaFields[] = {
    {"okta.app", T::kString, A::kNone, N, N, kNotFilled, "application"},
    {"okta.evt.type", T::kString, A::kNone, N, N, kNotFilled, "event type"},
    {"okta.evt.legacytype", T::kString, A::kNone, N, N, kNotFilled, "legacy event type"},
    {"okta.severity", T::kString, A::kNone, N, N, kNotFilled, "severity"},
    {"okta.message", T::kString, A::kNone, N, N, kNotFilled, "message"},
    {"okta.actor.id", T::kString, A::kNone, N, N, kNotFilled, "actor id"},
    {"okta.actor.alternateid", T::kString, A::kNone, N, N, kNotFilled, "actor alternate id"},
    {"okta.actor.name", T::kString, A::kNone, N, N, kNotFilled, "actor display name"},
    {"okta.client.zone", T::kString, A::kNone, N, N, kNotFilled, "client zone"},
    {"okta.client.ip", T::kString, A::kNone, N, N, kNotFilled, "client IP address"},
    {"okta.client.device", T::kString, A::kNone, N, N, kNotFilled, "client device"},
    {"okta.client.id", T::kString, A::kNone, N, N, kNotFilled, "client id"},
    {"okta.client.geo.city", T::kString, A::kNone, N, N, kNotFilled, "client city"},
    {"okta.client.geo.state", T::kString, A::kNone, N, N, kNotFilled, "client state"},
    {"okta.client.geo.country", T::kString, A::kNone, N, N, kNotFilled, "client country"},
    {"okta.client.geo.postalcode", T::kString, A::kNone, N, N, kNotFilled, "client postal code"},
    {"okta.client.geo.lat", T::kDouble, A::kNone, N, N, kNotFilled, "client latitude"},
    {"okta.client.geo.lon", T::kDouble, A::kNone, N, N, kNotFilled, "client longitude"},
    {"okta.useragent.os", T::kString, A::kNone, N, N, kNotFilled, "user agent OS"},
    {"okta.useragent.browser", T::kString, A::kNone, N, N, kNotFilled, "user agent browser"},
    {"okta.useragent.raw", T::kString, A::kNone, N, N, kNotFilled, "raw user agent"},
    {"okta.result", T::kString, A::kNone, N, N, kNotFilled, "outcome result"},
    {"okta.reason", T::kString, A::kNone, N, N, kNotFilled, "outcome reason"},
    {"okta.transaction.id", T::kString, A::kNone, N, N, kNotFilled, "transaction id"},
    {"okta.transaction.type", T::kString, A::kNone, N, N, kNotFilled, "transaction type"},
    {"okta.requesturi", T::kString, A::kNone, N, N, kNotFilled, "request URI"},
    {"okta.principal.id", T::kString, A::kNone, N, N, kNotFilled, "principal id"},
    {"okta.principal.alternateid", T::kString, A::kNone, N, N, kNotFilled, "principal alternate id"},
    {"okta.principal.type", T::kString, A::kNone, N, N, kNotFilled, "principal type"},
    {"okta.principal.name", T::kString, A::kNone, N, N, kNotFilled, "principal name"},
    {"okta.target.user.id", T::kString, A::kNone, N, N, kNotFilled, "target user id"},
    {"okta.target.user.alternateid", T::kString, A::kNone, N, N, kNotFilled, "target user alternate id"},
    {"okta.target.user.name", T::kString, A::kNone, N, N, kNotFilled, "target user name"},
    {"okta.target.group.id", T::kString, A::kNone, N, N, kNotFilled, "target group id"},
    {"okta.target.group.alternateid", T::kString, A::kNone, N, N, kNotFilled, "target group alternate id"},
    {"okta.target.group.name", T::kString, A::kNone, N, N, kNotFilled, "target group name"},
    {"okta.target.app.id", T::kString, A::kNone, N, N, kNotFilled, "target app id"},
    {"okta.target.app.alternateid", T::kString, A::kNone, N, N, kNotFilled, "target app alternate id"},
    {"okta.target.app.name", T::kString, A::kNone, N, N, kNotFilled, "target app name"},
    {"okta.mfa.failure.countlast", T::kUint64, A::kIndex, Y, N, kNotFilled, "MFA failures by the actor in the last N s"},
    {"okta.mfa.deny.countlast", T::kUint64, A::kIndex, Y, N, kNotFilled, "MFA denials by the actor in the last N s"},
};

constexpr FieldSet kJsonSet{"json", "json plugin fields", kJsonFields};
constexpr FieldSet kK8sAuditSet{"k8saudit", "k8saudit plugin fields (source k8s_audit)", kK8sAuditFields};
constexpr FieldSet kCloudtrailSet{"cloudtrail", "cloudtrail plugin fields (source aws_cloudtrail)",
                                  kCloudtrailFields};
constexpr FieldSet kGithubSet{"github", "github plugin fields (source github)", kGithubFields};
constexpr FieldSet kOktaSet{"okta", "okta plugin fields (source okta)", kOktaFields};

}  // namespace

std::span<const FieldSet* const> plugin_field_sets(std::string_view source) {
  // Function-local: the evt set is another file's constant.
  static const FieldSet* const kK8sAuditSets[] = {&eval::plugin_evt_field_set(), &kK8sAuditSet, &kJsonSet};
  static const FieldSet* const kCloudtrailSets[] = {&eval::plugin_evt_field_set(), &kCloudtrailSet, &kJsonSet};
  static const FieldSet* const kGithubSets[] = {&eval::plugin_evt_field_set(), &kGithubSet, &kJsonSet};
  static const FieldSet* const kOktaSets[] = {&eval::plugin_evt_field_set(), &kOktaSet, &kJsonSet};
  if (source == "k8s_audit") return kK8sAuditSets;
  if (source == "aws_cloudtrail") return kCloudtrailSets;
  if (source == "github") return kGithubSets;
  if (source == "okta") return kOktaSets;
  return {};
}

}  // namespace kestrel::engine
