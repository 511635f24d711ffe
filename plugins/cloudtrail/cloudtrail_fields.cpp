#include "plugins/cloudtrail/cloudtrail_fields.h"

#include <array>
#include <string>
#include <string_view>

namespace kestrel::cloudtrail {
namespace {

using plugin_kit::at;
using plugin_kit::FieldKind;
using plugin_kit::FieldSpec;
using plugin_kit::json;
using plugin_kit::value_at;
using plugin_kit::Values;

constexpr FieldKind S = FieldKind::kString;
constexpr FieldKind U = FieldKind::kUint64;

const std::vector<FieldSpec> kFields = {
    {"ct.id", S, false, {}, false, "the unique ID of the event (eventID)"},
    {"ct.error", S, false, {}, false, "the error code of the event (errorCode); <NA> when it did not fail"},
    {"ct.errormessage", S, false, {}, false, "the error description (errorMessage); <NA> when it did not fail"},
    {"ct.time", S, false, {}, false, "the event time as in the record (eventTime)"},
    {"ct.src", S, false, {}, false, "the service the request went to (eventSource, e.g. s3.amazonaws.com)"},
    {"ct.shortsrc", S, false, {}, false, "eventSource without its .amazonaws.com suffix"},
    {"ct.name", S, false, {}, false, "the API action (eventName)"},
    {"ct.user", S, false, {}, false, "who made the request: userName for Root and IAMUser, invokedBy for AWSService, the issuing role for AssumedRole"},
    {"ct.user.accountid", S, false, {}, false, "the account of the requester (userIdentity.accountId, else recipientAccountId)"},
    {"ct.user.identitytype", S, false, {}, false, "the kind of identity (userIdentity.type: Root, IAMUser, AssumedRole, AWSService, ...)"},
    {"ct.user.principalid", S, false, {}, false, "the requester's unique identifier (userIdentity.principalId)"},
    {"ct.user.arn", S, false, {}, false, "the requester's ARN (userIdentity.arn)"},
    {"ct.region", S, false, {}, false, "the region of the request (awsRegion)"},
    {"ct.response.subnetid", S, false, {}, false, "responseElements.subnetId"},
    {"ct.response.reservationid", S, false, {}, false, "responseElements.reservationId"},
    {"ct.response", S, false, {}, false, "all response elements (responseElements, as JSON)"},
    {"ct.request.availabilityzone", S, false, {}, false, "requestParameters.availabilityZone"},
    {"ct.request.cluster", S, false, {}, false, "requestParameters.cluster"},
    {"ct.request.functionname", S, false, {}, false, "requestParameters.functionName"},
    {"ct.request.groupname", S, false, {}, false, "requestParameters.groupName"},
    {"ct.request.host", S, false, {}, false, "requestParameters.Host"},
    {"ct.request.name", S, false, {}, false, "requestParameters.name: the entity acted on"},
    {"ct.request.policy", S, false, {}, false, "requestParameters.policy"},
    {"ct.request.serialnumber", S, false, {}, false, "requestParameters.serialNumber"},
    {"ct.request.servicename", S, false, {}, false, "requestParameters.serviceName"},
    {"ct.request.subnetid", S, false, {}, false, "requestParameters.subnetId"},
    {"ct.request.taskdefinition", S, false, {}, false, "requestParameters.taskDefinition"},
    {"ct.request.username", S, false, {}, false, "requestParameters.userName"},
    {"ct.request", S, false, {}, false, "all request parameters (requestParameters, as JSON)"},
    {"ct.srcip", S, false, {}, false, "where the request came from (sourceIPAddress)"},
    {"ct.useragent", S, false, {}, false, "the requester's agent (userAgent)"},
    {"ct.info", S, false, {}, false, "a one-line summary: who, from where, read or write, what, and the S3 object when there is one"},
    {"ct.managementevent", S, false, {}, false, "'true' for a management event (managementEvent), 'false' otherwise"},
    {"ct.readonly", S, false, {}, false, "'true' when the request only reads (readOnly; guessed from the action's name when absent)"},
    {"ct.requestid", S, false, {}, false, "the request's identifier (requestID)"},
    {"ct.eventtype", S, false, {}, false, "the kind of record (eventType: AwsApiCall, AwsConsoleSignIn, ...)"},
    {"ct.apiversion", S, false, {}, false, "the API version of an AwsApiCall (apiVersion)"},
    {"ct.resources", S, false, {}, false, "the resources accessed (resources, as JSON)"},
    {"ct.recipientaccountid", S, false, {}, false, "the account that received the event (recipientAccountId)"},
    {"ct.serviceeventdetails", S, false, {}, false, "what triggered a service event and its result (serviceEventDetails, as JSON)"},
    {"ct.sharedeventid", S, false, {}, false, "CloudTrail's id shared by the copies of one cross-account event (sharedEventID)"},
    {"ct.vpcendpointid", S, false, {}, false, "the VPC endpoint the request went through (vpcEndpointId)"},
    {"ct.eventcategory", S, false, {}, false, "the event category (eventCategory: Management, Data, Insight)"},
    {"ct.addendum.reason", S, false, {}, false, "why the record was late or incomplete (addendum.reason)"},
    {"ct.addendum.updatedfields", S, false, {}, false, "the fields the addendum updates (addendum.updatedFields)"},
    {"ct.addendum.originalrequestid", S, false, {}, false, "addendum.originalRequestID"},
    {"ct.addendum.originaleventid", S, false, {}, false, "addendum.originalEventID"},
    {"ct.sessioncredentialfromconsole", S, false, {}, false, "whether the request came from a console session (sessionCredentialFromConsole)"},
    {"ct.edgedevicedetails", S, false, {}, false, "the edge devices targeted (edgeDeviceDetails, as JSON)"},
    {"ct.tlsdetails.tlsversion", S, false, {}, false, "tlsDetails.tlsVersion"},
    {"ct.tlsdetails.ciphersuite", S, false, {}, false, "tlsDetails.cipherSuite"},
    {"ct.tlsdetails.clientprovidedhostheader", S, false, {}, false, "tlsDetails.clientProvidedHostHeader"},
    {"ct.additionaleventdata", S, false, {}, false, "all additional event data (additionalEventData, as JSON)"},
    {"s3.uri", S, false, {}, false, "s3://<bucket>/<key> of an object request"},
    {"s3.bucket", S, false, {}, false, "the bucket of an S3 request (requestParameters.bucketName)"},
    {"s3.key", S, false, {}, false, "the object key of an S3 request (requestParameters.key)"},
    {"s3.bytes", U, false, {}, false, "bytes uploaded plus downloaded (additionalEventData.bytesTransferredIn/Out)"},
    {"s3.bytes.in", U, false, {}, false, "bytes uploaded (additionalEventData.bytesTransferredIn)"},
    {"s3.bytes.out", U, false, {}, false, "bytes downloaded (additionalEventData.bytesTransferredOut)"},
    {"s3.cnt.get", U, false, {}, false, "1 for GetObject"},
    {"s3.cnt.put", U, false, {}, false, "1 for PutObject"},
    {"s3.cnt.other", U, false, {}, false, "1 for any action other than GetObject and PutObject"},
    {"ec2.name", S, false, {}, false, "the Name tag given to instances in the request (tagSpecificationSet)"},
    {"ec2.imageid", S, false, {}, false, "the image of the first instance in the response (responseElements.instancesSet)"},
    {"ecr.repository", S, false, {}, false, "the ECR repository of the request (requestParameters.repositoryName)"},
    {"ecr.imagetag", S, false, {}, false, "the image tag of the request (requestParameters.imageTag)"},
};

std::optional<std::string> str(const json& j, std::initializer_list<std::string_view> keys) {
  const json* v = at(j, keys);
  if (!v || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<Values> one(std::optional<std::string> s) {
  if (!s) return std::nullopt;
  return Values{std::move(*s)};
}

std::optional<std::string> user(const json& r) {
  auto type = str(r, {"userIdentity", "type"});
  if (!type) return std::nullopt;
  if (*type == "Root" || *type == "IAMUser") return str(r, {"userIdentity", "userName"});
  if (*type == "AWSService") return str(r, {"userIdentity", "invokedBy"});
  if (*type == "AssumedRole") {
    auto role = str(r, {"userIdentity", "sessionContext", "sessionIssuer", "userName"});
    return role ? role : std::optional<std::string>("AssumedRole");
  }
  if (*type == "AWSAccount" || *type == "FederatedUser") return type;
  return std::nullopt;
}

// Write actions by their verb, for the records that lack readOnly.
bool named_like_a_write(const std::string& name) {
  static constexpr std::array<std::string_view, 37> kVerbs = {
      "Start",  "Stop",     "Create",     "Destroy",   "Delete",     "Add",        "Remove",  "Terminate",
      "Put",    "Associate", "Disassociate", "Attach", "Detach",     "Open",       "Close",   "Wipe",
      "Update", "Upgrade",  "Unlink",     "Assign",    "Unassign",   "Suspend",    "Set",     "Run",
      "Register", "Deregister", "Reboot", "Purchase",  "Modify",     "Initialize", "Enable",  "Disable",
      "Cancel", "Admin",    "Activate",   "Restore",   "Import"};
  for (std::string_view v : kVerbs)
    if (std::string_view(name).starts_with(v)) return true;
  return false;
}

std::optional<std::string> readonly(const json& r) {
  const json* v = at(r, {"readOnly"});
  if (v && v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v && v->is_string()) return v->get<std::string>() == "true" ? "true" : "false";
  auto name = str(r, {"eventName"});
  if (!name) return std::nullopt;
  return named_like_a_write(*name) ? "false" : "true";
}

std::optional<uint64_t> bytes(const json& r, const char* key) {
  const json* v = at(r, {"additionalEventData", key});
  if (!v) return std::nullopt;
  if (v->is_number_unsigned() || v->is_number_integer()) return v->get<int64_t>() < 0 ? 0 : v->get<uint64_t>();
  if (v->is_number_float()) return v->get<double>() < 0 ? 0 : static_cast<uint64_t>(v->get<double>());
  return std::nullopt;
}

std::optional<std::string> s3_uri(const json& r) {
  auto bucket = str(r, {"requestParameters", "bucketName"});
  auto key = str(r, {"requestParameters", "key"});
  if (!bucket || !key) return std::nullopt;
  return "s3://" + *bucket + "/" + *key;
}

std::optional<std::string> ec2_name(const json& r) {
  const json* items = at(r, {"requestParameters", "tagSpecificationSet", "items"});
  if (!items || !items->is_array()) return std::nullopt;
  for (const auto& item : *items) {
    auto type = str(item, {"resourceType"});
    const json* tags = at(item, {"tags"});
    if (!type || *type != "instance" || !tags || !tags->is_array()) continue;
    for (const auto& tag : *tags)
      if (str(tag, {"key"}) == std::optional<std::string>("Name")) return str(tag, {"value"});
  }
  return std::nullopt;
}

std::optional<std::string> ec2_imageid(const json& r) {
  const json* items = at(r, {"responseElements", "instancesSet", "items"});
  if (!items || !items->is_array() || items->empty()) return std::nullopt;
  return str((*items)[0], {"imageId"});
}

std::string info(const json& r) {
  auto who = user(r);
  auto ip = str(r, {"sourceIPAddress"});
  auto name = str(r, {"eventName"});
  std::string s = (who ? *who : "<NA>") + " via " + (ip ? *ip : "<NA>") + " ";
  if (at(r, {"errorCode"})) s += "!";
  s += readonly(r) == std::optional<std::string>("false") ? "write " : "read ";
  s += name ? *name : "<NA>";
  auto in = bytes(r, "bytesTransferredIn");
  auto out = bytes(r, "bytesTransferredOut");
  if (in || out) s += " Size=" + std::to_string(in.value_or(0) + out.value_or(0));
  if (auto uri = s3_uri(r)) return s + " URI=" + *uri;
  if (auto bucket = str(r, {"requestParameters", "bucketName"})) return s + " Bucket=" + *bucket;
  if (auto host = str(r, {"requestParameters", "Host"})) return s + " Host=" + *host;
  return s;
}

std::optional<Values> number(std::optional<uint64_t> n) {
  if (!n) return std::nullopt;
  return Values{std::to_string(*n)};
}

}  // namespace

const std::vector<FieldSpec>& cloudtrail_fields() { return kFields; }

std::optional<Values> extract_cloudtrail_field(uint32_t id, const json& r) {
  if (id >= kFields.size() || !r.is_object()) return std::nullopt;
  const std::string_view n = kFields[id].name;
  if (n == "ct.id") return value_at(r, {"eventID"});
  if (n == "ct.error") return value_at(r, {"errorCode"});
  if (n == "ct.errormessage") return value_at(r, {"errorMessage"});
  if (n == "ct.time") return value_at(r, {"eventTime"});
  if (n == "ct.src") return value_at(r, {"eventSource"});
  if (n == "ct.shortsrc") {
    auto src = str(r, {"eventSource"});
    constexpr std::string_view kSuffix = ".amazonaws.com";
    if (src && src->size() > kSuffix.size() && std::string_view(*src).ends_with(kSuffix))
      src->resize(src->size() - kSuffix.size());
    return one(src);
  }
  if (n == "ct.name") return value_at(r, {"eventName"});
  if (n == "ct.user") return one(user(r));
  if (n == "ct.user.accountid") {
    auto a = str(r, {"userIdentity", "accountId"});
    return one(a ? a : str(r, {"recipientAccountId"}));
  }
  if (n == "ct.user.identitytype") return value_at(r, {"userIdentity", "type"});
  if (n == "ct.user.principalid") return value_at(r, {"userIdentity", "principalId"});
  if (n == "ct.user.arn") return value_at(r, {"userIdentity", "arn"});
  if (n == "ct.region") return value_at(r, {"awsRegion"});
  if (n == "ct.response.subnetid") return value_at(r, {"responseElements", "subnetId"});
  if (n == "ct.response.reservationid") return value_at(r, {"responseElements", "reservationId"});
  if (n == "ct.response") return value_at(r, {"responseElements"});
  if (n == "ct.request.availabilityzone") return value_at(r, {"requestParameters", "availabilityZone"});
  if (n == "ct.request.cluster") return value_at(r, {"requestParameters", "cluster"});
  if (n == "ct.request.functionname") return value_at(r, {"requestParameters", "functionName"});
  if (n == "ct.request.groupname") return value_at(r, {"requestParameters", "groupName"});
  if (n == "ct.request.host") return value_at(r, {"requestParameters", "Host"});
  if (n == "ct.request.name") return value_at(r, {"requestParameters", "name"});
  if (n == "ct.request.policy") return value_at(r, {"requestParameters", "policy"});
  if (n == "ct.request.serialnumber") return value_at(r, {"requestParameters", "serialNumber"});
  if (n == "ct.request.servicename") return value_at(r, {"requestParameters", "serviceName"});
  if (n == "ct.request.subnetid") return value_at(r, {"requestParameters", "subnetId"});
  if (n == "ct.request.taskdefinition") return value_at(r, {"requestParameters", "taskDefinition"});
  if (n == "ct.request.username") return value_at(r, {"requestParameters", "userName"});
  if (n == "ct.request") return value_at(r, {"requestParameters"});
  if (n == "ct.srcip") return value_at(r, {"sourceIPAddress"});
  if (n == "ct.useragent") return value_at(r, {"userAgent"});
  if (n == "ct.info") return Values{info(r)};
  if (n == "ct.managementevent") {
    const json* v = at(r, {"managementEvent"});
    return Values{v && v->is_boolean() && v->get<bool>() ? "true" : "false"};
  }
  if (n == "ct.readonly") return one(readonly(r));
  if (n == "ct.requestid") return value_at(r, {"requestID"});
  if (n == "ct.eventtype") return value_at(r, {"eventType"});
  if (n == "ct.apiversion") return value_at(r, {"apiVersion"});
  if (n == "ct.resources") return value_at(r, {"resources"});
  if (n == "ct.recipientaccountid") return value_at(r, {"recipientAccountId"});
  if (n == "ct.serviceeventdetails") return value_at(r, {"serviceEventDetails"});
  if (n == "ct.sharedeventid") return value_at(r, {"sharedEventID"});
  if (n == "ct.vpcendpointid") return value_at(r, {"vpcEndpointId"});
  if (n == "ct.eventcategory") return value_at(r, {"eventCategory"});
  if (n == "ct.addendum.reason") return value_at(r, {"addendum", "reason"});
  if (n == "ct.addendum.updatedfields") return value_at(r, {"addendum", "updatedFields"});
  if (n == "ct.addendum.originalrequestid") return value_at(r, {"addendum", "originalRequestID"});
  if (n == "ct.addendum.originaleventid") return value_at(r, {"addendum", "originalEventID"});
  if (n == "ct.sessioncredentialfromconsole") return value_at(r, {"sessionCredentialFromConsole"});
  if (n == "ct.edgedevicedetails") return value_at(r, {"edgeDeviceDetails"});
  if (n == "ct.tlsdetails.tlsversion") return value_at(r, {"tlsDetails", "tlsVersion"});
  if (n == "ct.tlsdetails.ciphersuite") return value_at(r, {"tlsDetails", "cipherSuite"});
  if (n == "ct.tlsdetails.clientprovidedhostheader") return value_at(r, {"tlsDetails", "clientProvidedHostHeader"});
  if (n == "ct.additionaleventdata") return value_at(r, {"additionalEventData"});
  if (n == "s3.uri") return one(s3_uri(r));
  if (n == "s3.bucket") return one(str(r, {"requestParameters", "bucketName"}));
  if (n == "s3.key") return one(str(r, {"requestParameters", "key"}));
  if (n == "s3.bytes") {
    auto in = bytes(r, "bytesTransferredIn");
    auto out = bytes(r, "bytesTransferredOut");
    if (!in && !out) return std::nullopt;
    return number(in.value_or(0) + out.value_or(0));
  }
  if (n == "s3.bytes.in") return number(bytes(r, "bytesTransferredIn"));
  if (n == "s3.bytes.out") return number(bytes(r, "bytesTransferredOut"));
  if (n == "s3.cnt.get" || n == "s3.cnt.put" || n == "s3.cnt.other") {
    auto name = str(r, {"eventName"}).value_or("");
    const bool io = name == "GetObject" || name == "PutObject";
    if (n == "s3.cnt.get") return number(name == "GetObject" ? 1 : 0);
    if (n == "s3.cnt.put") return number(name == "PutObject" ? 1 : 0);
    return number(io ? 0 : 1);
  }
  if (n == "ec2.name") return one(ec2_name(r));
  if (n == "ec2.imageid") return one(ec2_imageid(r));
  if (n == "ecr.repository") return one(str(r, {"requestParameters", "repositoryName"}));
  if (n == "ecr.imagetag") return one(str(r, {"requestParameters", "imageTag"}));
  return std::nullopt;
}

}  // namespace kestrel::cloudtrail
