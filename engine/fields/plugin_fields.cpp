// Field sets of the plugin sources Falco's plugin rulesets use: k8saudit
// (ka.*, jevt.*), cloudtrail (ct.*, s3.*, ec2.*), json (json.*), github and
// okta. Names and argument forms follow each plugin's field table, so the
// upstream plugin rulesets validate. None is filled yet: Kestrel has no
// plugin host in this part.
#include <array>

#include "engine/fields/field_sets.h"

namespace kestrel::engine {
namespace {

using T = FieldType;
using A = FieldArg;
constexpr bool Y = true;
constexpr bool N = false;

constexpr FieldInfo kPluginEvtFields[] = {
    {"evt.num", T::kUint64, A::kNone, N, N, N, "event number"},
    {"evt.time", T::kString, A::kNone, N, N, N, "event timestamp as a time string with nanoseconds"},
    {"evt.time.s", T::kString, A::kNone, N, N, N, "event timestamp without nanoseconds"},
    {"evt.time.iso8601", T::kString, A::kNone, N, N, N, "event timestamp in ISO 8601 format"},
    {"evt.datetime", T::kString, A::kNone, N, N, N, "event timestamp including the date"},
    {"evt.datetime.s", T::kString, A::kNone, N, N, N, "event timestamp including the date, no nanoseconds"},
    {"evt.rawtime", T::kAbsTime, A::kNone, N, N, N, "absolute event timestamp, ns from epoch"},
    {"evt.rawtime.s", T::kAbsTime, A::kNone, N, N, N, "integer part of the event timestamp"},
    {"evt.rawtime.ns", T::kAbsTime, A::kNone, N, N, N, "fractional part of the event timestamp"},
    {"evt.pluginname", T::kString, A::kNone, N, N, N, "name of the plugin that generated the event"},
    {"evt.plugininfo", T::kString, A::kNone, N, N, N, "summary of the event from its plugin"},
    {"evt.source", T::kString, A::kNone, N, N, N, "name of the source that produced the event"},
    {"evt.is_async", T::kBool, A::kNone, N, N, N, "true for asynchronous events"},
    {"evt.asynctype", T::kString, A::kNone, N, N, N, "name of the asynchronous event type"},
    {"evt.hostname", T::kString, A::kNone, N, N, N, "hostname of the underlying host"},
};

constexpr FieldInfo kJsonFields[] = {
    {"json.value", T::kString, A::kKey, Y, N, N, "value at a JSON pointer (json.value[/user/name])"},
    {"json.obj", T::kString, A::kNone, N, N, N, "the full event as JSON"},
    {"json.rawtime", T::kString, A::kNone, N, N, N, "time of the event, as in the JSON"},
};

constexpr FieldInfo kK8sAuditFields[] = {
    {"ka.auditid", T::kString, A::kNone, N, N, N, "audit event id"},
    {"ka.stage", T::kString, A::kNone, N, N, N, "stage of the request"},
    {"ka.auth.decision", T::kString, A::kNone, N, N, N, "authorization decision"},
    {"ka.auth.reason", T::kString, A::kNone, N, N, N, "authorization reason"},
    {"ka.auth.openshift.decision", T::kString, A::kNone, N, N, N, "OpenShift authorization decision"},
    {"ka.auth.openshift.username", T::kString, A::kNone, N, N, N, "OpenShift authorization user"},
    {"ka.user.name", T::kString, A::kNone, N, N, N, "user name performing the request"},
    {"ka.user.groups", T::kStringList, A::kNone, N, N, N, "groups of the user"},
    {"ka.impuser.name", T::kString, A::kNone, N, N, N, "impersonated user name"},
    {"ka.verb", T::kString, A::kNone, N, N, N, "action being performed"},
    {"ka.uri", T::kString, A::kNone, N, N, N, "request URI"},
    {"ka.uri.param", T::kString, A::kKey, Y, N, N, "value of a URI query parameter"},
    {"ka.target.name", T::kString, A::kNone, N, N, N, "target object name"},
    {"ka.target.namespace", T::kString, A::kNone, N, N, N, "target object namespace"},
    {"ka.target.resource", T::kString, A::kNone, N, N, N, "target object resource"},
    {"ka.target.subresource", T::kString, A::kNone, N, N, N, "target object subresource"},
    {"ka.target.pod.name", T::kString, A::kNone, N, N, N, "target pod name"},
    {"ka.req.binding.subjects", T::kStringList, A::kNone, N, N, N, "subjects of a role binding"},
    {"ka.req.binding.role", T::kString, A::kNone, N, N, N, "role of a role binding"},
    {"ka.req.binding.subject.has_name", T::kString, A::kKey, Y, N, N, "true if a subject has the name"},
    {"ka.req.configmap.name", T::kString, A::kNone, N, N, N, "configmap name"},
    {"ka.req.configmap.obj", T::kString, A::kNone, N, N, N, "configmap object"},
    {"ka.req.pod.containers.image", T::kStringList, A::kIndex, N, N, N, "container images"},
    {"ka.req.container.image", T::kString, A::kNone, N, N, N, "first container image (deprecated)"},
    {"ka.req.pod.containers.image.repository", T::kStringList, A::kIndex, N, N, N, "container image repositories"},
    {"ka.req.container.image.repository", T::kString, A::kNone, N, N, N, "first image repository (deprecated)"},
    {"ka.req.pod.host_ipc", T::kString, A::kNone, N, N, N, "pod hostIPC flag"},
    {"ka.req.pod.host_network", T::kString, A::kNone, N, N, N, "pod hostNetwork flag"},
    {"ka.req.container.host_network", T::kString, A::kNone, N, N, N, "pod hostNetwork flag (deprecated)"},
    {"ka.req.pod.host_pid", T::kString, A::kNone, N, N, N, "pod hostPID flag"},
    {"ka.req.pod.containers.host_port", T::kStringList, A::kIndex, N, N, N, "container host ports"},
    {"ka.req.pod.containers.privileged", T::kStringList, A::kIndex, N, N, N, "container privileged flags"},
    {"ka.req.container.privileged", T::kBool, A::kNone, N, N, N, "any container privileged (deprecated)"},
    {"ka.req.pod.containers.allow_privilege_escalation", T::kStringList, A::kIndex, N, N, N,
     "container allowPrivilegeEscalation flags"},
    {"ka.req.pod.containers.read_only_fs", T::kStringList, A::kIndex, N, N, N, "container readOnlyRootFilesystem"},
    {"ka.req.pod.run_as_user", T::kString, A::kNone, N, N, N, "pod runAsUser"},
    {"ka.req.pod.containers.run_as_user", T::kStringList, A::kIndex, N, N, N, "container runAsUser"},
    {"ka.req.pod.containers.eff_run_as_user", T::kStringList, A::kIndex, N, N, N, "effective runAsUser"},
    {"ka.req.pod.run_as_group", T::kString, A::kNone, N, N, N, "pod runAsGroup"},
    {"ka.req.pod.containers.run_as_group", T::kStringList, A::kIndex, N, N, N, "container runAsGroup"},
    {"ka.req.pod.containers.eff_run_as_group", T::kStringList, A::kIndex, N, N, N, "effective runAsGroup"},
    {"ka.req.pod.containers.proc_mount", T::kStringList, A::kIndex, N, N, N, "container procMount"},
    {"ka.req.role.rules", T::kStringList, A::kNone, N, N, N, "role rules"},
    {"ka.req.role.rules.apiGroups", T::kStringList, A::kIndex, N, N, N, "role rule apiGroups"},
    {"ka.req.role.rules.nonResourceURLs", T::kStringList, A::kIndex, N, N, N, "role rule nonResourceURLs"},
    {"ka.req.role.rules.verbs", T::kStringList, A::kIndex, N, N, N, "role rule verbs"},
    {"ka.req.role.rules.resources", T::kStringList, A::kIndex, N, N, N, "role rule resources"},
    {"ka.req.pod.fs_group", T::kString, A::kNone, N, N, N, "pod fsGroup"},
    {"ka.req.pod.supplemental_groups", T::kStringList, A::kNone, N, N, N, "pod supplementalGroups"},
    {"ka.req.pod.containers.add_capabilities", T::kStringList, A::kIndex, N, N, N, "added capabilities"},
    {"ka.req.service.type", T::kString, A::kNone, N, N, N, "service type"},
    {"ka.req.service.ports", T::kStringList, A::kNone, N, N, N, "service ports"},
    {"ka.req.pod.volumes.hostpath", T::kStringList, A::kIndex, N, N, N, "hostPath volume paths"},
    {"ka.req.volume.hostpath", T::kString, A::kKey, Y, N, N, "true if a hostPath volume mounts the path"},
    {"ka.req.pod.volumes.flexvolume_driver", T::kStringList, A::kIndex, N, N, N, "flexVolume drivers"},
    {"ka.req.pod.volumes.volume_type", T::kStringList, A::kIndex, N, N, N, "volume types"},
    {"ka.req.pod.initContainers.image", T::kStringList, A::kIndex, N, N, N, "init container images"},
    {"ka.req.pod.initContainers.privileged", T::kStringList, A::kIndex, N, N, N, "init container privileged flags"},
    {"ka.req.pod.ephemeralContainers.image", T::kStringList, A::kIndex, N, N, N, "ephemeral container images"},
    {"ka.req.pod.ephemeralContainers.privileged", T::kStringList, A::kIndex, N, N, N,
     "ephemeral container privileged flags"},
    {"ka.resp.name", T::kString, A::kNone, N, N, N, "response object name"},
    {"ka.response.code", T::kString, A::kNone, N, N, N, "response code"},
    {"ka.response.reason", T::kString, A::kNone, N, N, N, "response reason"},
    {"ka.useragent", T::kString, A::kNone, N, N, N, "user agent of the client"},
    {"ka.sourceips", T::kStringList, A::kIndex, N, N, N, "source IPs of the request"},
    {"ka.cluster.name", T::kString, A::kNone, N, N, N, "cluster name"},
    {"jevt.time", T::kString, A::kNone, N, N, N, "event time as a string"},
    {"jevt.time.iso8601", T::kString, A::kNone, N, N, N, "event time in ISO 8601"},
    {"jevt.rawtime", T::kString, A::kNone, N, N, N, "event time in ns since epoch"},
    {"jevt.value", T::kString, A::kKey, Y, N, N, "value at a JSON pointer"},
    {"jevt.obj", T::kString, A::kNone, N, N, N, "the full event as JSON"},
};

constexpr FieldInfo kCloudtrailFields[] = {
    {"ct.id", T::kString, A::kNone, N, N, N, "unique event id"},
    {"ct.error", T::kString, A::kNone, N, N, N, "error code of the event"},
    {"ct.errormessage", T::kString, A::kNone, N, N, N, "error message of the event"},
    {"ct.time", T::kString, A::kNone, N, N, N, "event time"},
    {"ct.src", T::kString, A::kNone, N, N, N, "source of the event (e.g. s3.amazonaws.com)"},
    {"ct.shortsrc", T::kString, A::kNone, N, N, N, "source without .amazonaws.com"},
    {"ct.name", T::kString, A::kNone, N, N, N, "name of the event (e.g. PutBucketPolicy)"},
    {"ct.user", T::kString, A::kNone, N, N, N, "user who made the request"},
    {"ct.user.accountid", T::kString, A::kNone, N, N, N, "account id of the user"},
    {"ct.user.identitytype", T::kString, A::kNone, N, N, N, "identity type of the user"},
    {"ct.user.principalid", T::kString, A::kNone, N, N, N, "principal id of the user"},
    {"ct.user.arn", T::kString, A::kNone, N, N, N, "ARN of the user"},
    {"ct.region", T::kString, A::kNone, N, N, N, "region of the request"},
    {"ct.response.subnetid", T::kString, A::kNone, N, N, N, "subnet id in the response"},
    {"ct.response.reservationid", T::kString, A::kNone, N, N, N, "reservation id in the response"},
    {"ct.response", T::kString, A::kNone, N, N, N, "all response elements"},
    {"ct.request.availabilityzone", T::kString, A::kNone, N, N, N, "availability zone in the request"},
    {"ct.request.cluster", T::kString, A::kNone, N, N, N, "cluster in the request"},
    {"ct.request.functionname", T::kString, A::kNone, N, N, N, "function name in the request"},
    {"ct.request.groupname", T::kString, A::kNone, N, N, N, "group name in the request"},
    {"ct.request.host", T::kString, A::kNone, N, N, N, "host in the request"},
    {"ct.request.name", T::kString, A::kNone, N, N, N, "name in the request"},
    {"ct.request.policy", T::kString, A::kNone, N, N, N, "policy in the request"},
    {"ct.request.serialnumber", T::kString, A::kNone, N, N, N, "serial number in the request"},
    {"ct.request.servicename", T::kString, A::kNone, N, N, N, "service name in the request"},
    {"ct.request.subnetid", T::kString, A::kNone, N, N, N, "subnet id in the request"},
    {"ct.request.taskdefinition", T::kString, A::kNone, N, N, N, "task definition in the request"},
    {"ct.request.username", T::kString, A::kNone, N, N, N, "user name in the request"},
    {"ct.request", T::kString, A::kNone, N, N, N, "all request parameters"},
    {"ct.srcip", T::kString, A::kNone, N, N, N, "IP address the request came from"},
    {"ct.useragent", T::kString, A::kNone, N, N, N, "user agent of the request"},
    {"ct.info", T::kString, A::kNone, N, N, N, "summary of the event"},
    {"ct.managementevent", T::kString, A::kNone, N, N, N, "true for management events"},
    {"ct.readonly", T::kString, A::kNone, N, N, N, "true for read-only events"},
    {"ct.requestid", T::kString, A::kNone, N, N, N, "request id"},
    {"ct.eventtype", T::kString, A::kNone, N, N, N, "event type"},
    {"ct.apiversion", T::kString, A::kNone, N, N, N, "API version"},
    {"ct.resources", T::kString, A::kNone, N, N, N, "resources of the event"},
    {"ct.recipientaccountid", T::kString, A::kNone, N, N, N, "recipient account id"},
    {"ct.serviceevent", T::kString, A::kNone, N, N, N, "true for service events"},
    {"ct.additionaleventdata", T::kString, A::kNone, N, N, N, "additional event data"},
    {"ct.sharedeventid", T::kString, A::kNone, N, N, N, "shared event id"},
    {"ct.vpcendpointid", T::kString, A::kNone, N, N, N, "VPC endpoint id"},
    {"ct.eventcategory", T::kString, A::kNone, N, N, N, "event category"},
    {"s3.uri", T::kString, A::kNone, N, N, N, "S3 URI"},
    {"s3.bucket", T::kString, A::kNone, N, N, N, "S3 bucket name"},
    {"s3.key", T::kString, A::kNone, N, N, N, "S3 key name"},
    {"s3.bytes", T::kUint64, A::kNone, N, N, N, "bytes transferred"},
    {"s3.bytes.in", T::kUint64, A::kNone, N, N, N, "bytes received"},
    {"s3.bytes.out", T::kUint64, A::kNone, N, N, N, "bytes sent"},
    {"s3.cnt.get", T::kUint64, A::kNone, N, N, N, "1 for GET operations"},
    {"s3.cnt.put", T::kUint64, A::kNone, N, N, N, "1 for PUT operations"},
    {"s3.cnt.other", T::kUint64, A::kNone, N, N, N, "1 for other operations"},
    {"ec2.name", T::kString, A::kNone, N, N, N, "EC2 instance name"},
    {"ec2.imageid", T::kString, A::kNone, N, N, N, "EC2 image id"},
    {"ecr.repository", T::kString, A::kNone, N, N, N, "ECR repository"},
    {"ecr.imagetag", T::kString, A::kNone, N, N, N, "ECR image tag"},
};

constexpr FieldInfo kGithubFields[] = {
    {"github.type", T::kString, A::kNone, N, N, N, "webhook message type"},
    {"github.action", T::kString, A::kNone, N, N, N, "action of the message"},
    {"github.user", T::kString, A::kNone, N, N, N, "user that caused the event"},
    {"github.owner", T::kString, A::kNone, N, N, N, "owner of the repository"},
    {"github.repo", T::kString, A::kNone, N, N, N, "repository name (owner/name)"},
    {"github.repo.name", T::kString, A::kNone, N, N, N, "repository name"},
    {"github.repo.url", T::kString, A::kNone, N, N, N, "repository URL"},
    {"github.repo.public", T::kString, A::kNone, N, N, N, "'true' for public repositories"},
    {"github.org", T::kString, A::kNone, N, N, N, "organization"},
    {"github.collaborator.name", T::kString, A::kNone, N, N, N, "added collaborator"},
    {"github.collaborator.role", T::kString, A::kNone, N, N, N, "role of the added collaborator"},
    {"github.webhook.id", T::kString, A::kNone, N, N, N, "webhook id"},
    {"github.webhook.type", T::kString, A::kNone, N, N, N, "webhook type"},
    {"github.commit.modified", T::kString, A::kNone, N, N, N, "modified files of a push"},
    {"github.diff.has_secrets", T::kString, A::kNone, N, N, N, "'true' if a push contains secrets"},
    {"github.diff.committed_secrets.desc", T::kString, A::kNone, N, N, N, "types of committed secrets"},
    {"github.diff.committed_secrets.files", T::kString, A::kNone, N, N, N, "files with committed secrets"},
    {"github.diff.committed_secrets.lines", T::kString, A::kNone, N, N, N, "lines with committed secrets"},
    {"github.diff.committed_secrets.links", T::kString, A::kNone, N, N, N, "links to committed secrets"},
    {"github.workflow.has_miners", T::kString, A::kNone, N, N, N, "'true' if a workflow runs a miner"},
    {"github.workflow.miners_type", T::kString, A::kNone, N, N, N, "types of miners found"},
    {"github.workflow.filename", T::kString, A::kNone, N, N, N, "workflow file name"},
};

constexpr FieldInfo kOktaFields[] = {
    {"okta.app", T::kString, A::kNone, N, N, N, "application"},
    {"okta.evt.type", T::kString, A::kNone, N, N, N, "event type"},
    {"okta.evt.legacytype", T::kString, A::kNone, N, N, N, "legacy event type"},
    {"okta.severity", T::kString, A::kNone, N, N, N, "severity"},
    {"okta.message", T::kString, A::kNone, N, N, N, "message"},
    {"okta.actor.id", T::kString, A::kNone, N, N, N, "actor id"},
    {"okta.actor.alternateid", T::kString, A::kNone, N, N, N, "actor alternate id"},
    {"okta.actor.name", T::kString, A::kNone, N, N, N, "actor display name"},
    {"okta.client.zone", T::kString, A::kNone, N, N, N, "client zone"},
    {"okta.client.ip", T::kString, A::kNone, N, N, N, "client IP address"},
    {"okta.client.device", T::kString, A::kNone, N, N, N, "client device"},
    {"okta.client.id", T::kString, A::kNone, N, N, N, "client id"},
    {"okta.client.geo.city", T::kString, A::kNone, N, N, N, "client city"},
    {"okta.client.geo.state", T::kString, A::kNone, N, N, N, "client state"},
    {"okta.client.geo.country", T::kString, A::kNone, N, N, N, "client country"},
    {"okta.client.geo.postalcode", T::kString, A::kNone, N, N, N, "client postal code"},
    {"okta.client.geo.lat", T::kDouble, A::kNone, N, N, N, "client latitude"},
    {"okta.client.geo.lon", T::kDouble, A::kNone, N, N, N, "client longitude"},
    {"okta.useragent.os", T::kString, A::kNone, N, N, N, "user agent OS"},
    {"okta.useragent.browser", T::kString, A::kNone, N, N, N, "user agent browser"},
    {"okta.useragent.raw", T::kString, A::kNone, N, N, N, "raw user agent"},
    {"okta.result", T::kString, A::kNone, N, N, N, "outcome result"},
    {"okta.reason", T::kString, A::kNone, N, N, N, "outcome reason"},
    {"okta.transaction.id", T::kString, A::kNone, N, N, N, "transaction id"},
    {"okta.transaction.type", T::kString, A::kNone, N, N, N, "transaction type"},
    {"okta.requesturi", T::kString, A::kNone, N, N, N, "request URI"},
    {"okta.principal.id", T::kString, A::kNone, N, N, N, "principal id"},
    {"okta.principal.alternateid", T::kString, A::kNone, N, N, N, "principal alternate id"},
    {"okta.principal.type", T::kString, A::kNone, N, N, N, "principal type"},
    {"okta.principal.name", T::kString, A::kNone, N, N, N, "principal name"},
    {"okta.target.user.id", T::kString, A::kNone, N, N, N, "target user id"},
    {"okta.target.user.alternateid", T::kString, A::kNone, N, N, N, "target user alternate id"},
    {"okta.target.user.name", T::kString, A::kNone, N, N, N, "target user name"},
    {"okta.target.group.id", T::kString, A::kNone, N, N, N, "target group id"},
    {"okta.target.group.alternateid", T::kString, A::kNone, N, N, N, "target group alternate id"},
    {"okta.target.group.name", T::kString, A::kNone, N, N, N, "target group name"},
    {"okta.target.app.id", T::kString, A::kNone, N, N, N, "target app id"},
    {"okta.target.app.alternateid", T::kString, A::kNone, N, N, N, "target app alternate id"},
    {"okta.target.app.name", T::kString, A::kNone, N, N, N, "target app name"},
    {"okta.mfa.failure.countlast", T::kUint64, A::kIndex, Y, N, N, "MFA failures by the actor in the last N s"},
    {"okta.mfa.deny.countlast", T::kUint64, A::kIndex, Y, N, N, "MFA denials by the actor in the last N s"},
};

constexpr FieldSet kPluginEvtSet{"evt", "event fields every source has", kPluginEvtFields};
constexpr FieldSet kJsonSet{"json", "json plugin fields", kJsonFields};
constexpr FieldSet kK8sAuditSet{"k8saudit", "k8saudit plugin fields (source k8s_audit)", kK8sAuditFields};
constexpr FieldSet kCloudtrailSet{"cloudtrail", "cloudtrail plugin fields (source aws_cloudtrail)",
                                  kCloudtrailFields};
constexpr FieldSet kGithubSet{"github", "github plugin fields (source github)", kGithubFields};
constexpr FieldSet kOktaSet{"okta", "okta plugin fields (source okta)", kOktaFields};

constexpr const FieldSet* kK8sAuditSets[] = {&kPluginEvtSet, &kK8sAuditSet, &kJsonSet};
constexpr const FieldSet* kCloudtrailSets[] = {&kPluginEvtSet, &kCloudtrailSet, &kJsonSet};
constexpr const FieldSet* kGithubSets[] = {&kPluginEvtSet, &kGithubSet, &kJsonSet};
constexpr const FieldSet* kOktaSets[] = {&kPluginEvtSet, &kOktaSet, &kJsonSet};

}  // namespace

const FieldSet& plugin_event_field_set() { return kPluginEvtSet; }

std::span<const FieldSet* const> plugin_field_sets(std::string_view source) {
  if (source == "k8s_audit") return kK8sAuditSets;
  if (source == "aws_cloudtrail") return kCloudtrailSets;
  if (source == "github") return kGithubSets;
  if (source == "okta") return kOktaSets;
  return {};
}

}  // namespace kestrel::engine
