// Falco's upstream aws_cloudtrail_rules.yaml over CloudTrail log files
// written for this test from AWS's published record format
// (tests/fixtures/plugins/cloudtrail/), through the real `kestrel` binary
// with our cloudtrail plugin (the source) and our json plugin (the
// ruleset's json.value[...] conditions) loaded, as Falco runs them.
//
// The logs are laid out as S3 delivers them (AWSLogs/<account>/CloudTrail/
// <region>/<y>/<m>/<d>/, a digest folder next to it) and the sign-in log is
// gzipped at test time, so one directory exercises the directory walk, .gz
// and the digest skip. Every record has its own sourceIPAddress, so each
// alert names the record that raised it (ct.srcip is in every output). The
// expected rules per record were written by reading the rule conditions
// against each record, not by running Kestrel.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "our_plugin_run.h"

namespace {

namespace fs = std::filesystem;
using kestrel::testing::plugin_entry;
using kestrel::testing::rules_by;
using kestrel::testing::run_with_plugins;

const std::string kRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/aws_cloudtrail_rules.yaml";
const std::string kFixtures = std::string(KESTREL_SOURCE_DIR) + "/tests/fixtures/plugins/cloudtrail/logs";
const std::string kSigninLog =
    "AWSLogs/123456789012/CloudTrail/us-east-1/2026/12/01/123456789012_CloudTrail_us-east-1_20261201T1000Z_4xZ2sFqkK1aE0bTq.json";

// A copy of the fixture tree with the sign-in log gzipped (".json.gz").
struct LogTree {
  fs::path root = fs::temp_directory_path() / ("kestrel-cloudtrail-" + std::to_string(getpid()));
  LogTree() {
    fs::remove_all(root);
    fs::copy(kFixtures, root, fs::copy_options::recursive);
    const fs::path plain = root / kSigninLog;
    std::ifstream in(plain, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gzFile gz = gzopen((plain.string() + ".gz").c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
    gzclose(gz);
    fs::remove(plain);
  }
  ~LogTree() { fs::remove_all(root); }
};

std::vector<std::pair<std::string, std::string>> plugins(const std::string& open_params) {
  return {{"cloudtrail", plugin_entry("cloudtrail", CLOUDTRAIL_PLUGIN, open_params)},
          {"json", plugin_entry("json", JSON_PLUGIN, std::string())}};
}

// sourceIPAddress -> the rules its record must raise (and no other).
const std::map<std::string, std::multiset<std::string>> kExpected = {
    // Sign-in log (gzip). Root, MFAUsed No: both no-MFA rules.
    {"198.51.100.1", {"Console Login Without MFA", "Console Root Login Without MFA"}},
    {"198.51.100.2", {"Console Login Without MFA"}},  // IAM user, no MFA
    // 198.51.100.3: IAM user with MFA -> nothing.
    {"198.51.100.4", {"Console Login Through Assume Role"}},  // AssumedRole: not "Without MFA"
    // 198.51.100.5: ConsoleLogin=Failure -> nothing.
    {"198.51.100.6", {"Create AWS user"}},
    // 198.51.100.7: CreateUser with errorCode AccessDenied -> nothing.
    // API log.
    {"203.0.113.1", {"Deactivate MFA for Root User"}},
    // 203.0.113.2: an IAM user's MFA device -> nothing.
    {"203.0.113.3", {"Create Group"}},
    {"203.0.113.4", {"Delete Group"}},
    {"203.0.113.5", {"ECS Service Created"}},
    {"203.0.113.6", {"ECS Task Run or Started"}},
    {"203.0.113.7", {"Create Lambda Function"}},
    {"203.0.113.8", {"Update Lambda Function Code"}},
    {"203.0.113.9", {"Update Lambda Function Configuration"}},
    {"203.0.113.10", {"Run Instances", "Run Instances in Non-approved Region"}},  // us-east-1 is not us-east-0
    {"203.0.113.11", {"Delete Bucket Encryption"}},
    {"203.0.113.12", {"Delete Bucket Public Access Block"}},  // all four settings false
    // 203.0.113.13: all four true -> nothing. 203.0.113.14: ListBuckets, rule disabled.
    {"203.0.113.15", {"Put Bucket ACL"}},
    {"203.0.113.16", {"Put Bucket Policy"}},
    {"203.0.113.17", {"CloudTrail Trail Created"}},
    {"203.0.113.18", {"CloudTrail Logging Disabled"}},
    // 203.0.113.19 GetObject, 203.0.113.20 DescribeInstances: no rule.
};

TEST(CloudtrailRules, EachRecordRaisesExactlyTheRulesItWasWrittenFor) {
  LogTree tree;
  auto r = run_with_plugins(kRules, plugins(tree.root.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(rules_by(r, "ct.srcip"), kExpected) << r.out;
  for (const auto& a : r.alerts) EXPECT_EQ(a.value("source", std::string()), "aws_cloudtrail") << a.dump();
}

TEST(CloudtrailRules, OutputFieldsComeFromTheRecords) {
  LogTree tree;
  auto r = run_with_plugins(kRules, plugins(tree.root.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  int seen = 0;
  for (const auto& a : r.alerts) {
    const auto& f = a["output_fields"];
    const std::string rule = a["rule"];
    if (rule == "Run Instances in Non-approved Region") {
      ++seen;
      EXPECT_EQ(f.value("ct.user", std::string()), "alice");
      EXPECT_EQ(f.value("ct.region", std::string()), "us-east-1");
      EXPECT_EQ(f.value("ct.request.availabilityzone", std::string()), "us-east-1a");
      EXPECT_EQ(f.value("ct.response.subnetid", std::string()), "subnet-0123456789abcdef0");
      EXPECT_EQ(f.value("ct.response.reservationid", std::string()), "r-0123456789abcdef0");
      // json plugin, array index in the pointer.
      EXPECT_EQ(f.value("json.value[/responseElements/instancesSet/items/0/instanceId]", std::string()), "i-0123456789abcdef0");
      // The record's eventTime is the event's time.
      EXPECT_EQ(a.value("time", std::string()).substr(0, 19), "2026-12-01T10:05:45");
    } else if (rule == "Create AWS user") {
      ++seen;
      EXPECT_EQ(f.value("ct.request.username", std::string()), "eve");
    } else if (rule == "Console Login Through Assume Role") {
      ++seen;
      EXPECT_EQ(f.value("ct.user.principalid", std::string()), "AROAJ45Q7YFFAREXAMPLE:carol");
      EXPECT_EQ(f.value("ct.user.arn", std::string()), "arn:aws:sts::123456789012:assumed-role/Admin/carol");
    } else if (rule == "Delete Bucket Encryption") {
      ++seen;
      EXPECT_EQ(f.value("s3.bucket", std::string()), "finance-reports");
    } else if (rule == "Deactivate MFA for Root User") {
      ++seen;
      EXPECT_EQ(f.value("ct.request.serialnumber", std::string()), "arn:aws:iam::123456789012:mfa/root-account-mfa-device");
    } else if (rule == "ECS Service Created") {
      ++seen;
      EXPECT_EQ(f.value("ct.request.cluster", std::string()), "prod");
      EXPECT_EQ(f.value("ct.request.servicename", std::string()), "web");
      EXPECT_EQ(f.value("ct.request.taskdefinition", std::string()), "web:7");
    }
  }
  EXPECT_EQ(seen, 6) << r.out;
}

TEST(CloudtrailRules, OneLogFileNamedDirectlyIsReadToo) {
  LogTree tree;
  auto r = run_with_plugins(kRules, plugins((tree.root / (kSigninLog + ".gz")).string()));
  ASSERT_EQ(r.code, 0) << r.out;
  auto by_ip = rules_by(r, "ct.srcip");
  EXPECT_EQ(by_ip.size(), 4u) << r.out;  // .1 .2 .4 .6 of the sign-in log only
  EXPECT_EQ(by_ip["198.51.100.6"], std::multiset<std::string>{"Create AWS user"});
}

TEST(CloudtrailRules, AFileThatIsNotACloudTrailLogFailsWithItsName) {
  const fs::path digest = fs::path(kFixtures) / "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/12/01";
  const std::string file = (*fs::directory_iterator(digest)).path().string();
  auto r = run_with_plugins(kRules, plugins(file));
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("is not a log file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(file), std::string::npos) << r.out;
}

// Fields the upstream ruleset does not use, read off two records of the
// fixtures (values written from the records, as AWS documents the members).
TEST(CloudtrailFields, DocumentedFieldsOnAnS3ReadAndAnInstanceLaunch) {
  LogTree tree;
  const std::string rules = ::testing::TempDir() + "cloudtrail_fields.yaml";
  std::ofstream(rules) << R"yaml(
- rule: S3 read
  desc: fields of a GetObject record
  condition: ct.name=GetObject
  output: info=%ct.info ro=%ct.readonly mgmt=%ct.managementevent short=%ct.shortsrc acct=%ct.user.accountid
    type=%ct.eventtype cat=%ct.eventcategory uri=%s3.uri key=%s3.key bytes=%s3.bytes out=%s3.bytes.out
    gets=%s3.cnt.get others=%s3.cnt.other resources=%ct.resources
  priority: INFO
  source: aws_cloudtrail
- rule: Launch
  desc: fields of a RunInstances record
  condition: ct.name=RunInstances
  output: name=%ec2.name image=%ec2.imageid ro=%ct.readonly put=%s3.cnt.put other=%s3.cnt.other err=%ct.error
  priority: INFO
  source: aws_cloudtrail
)yaml";
  auto r = run_with_plugins(rules, plugins(tree.root.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(r.alerts.size(), 2u) << r.out;
  for (const auto& a : r.alerts) {
    const auto& f = a["output_fields"];
    if (a["rule"] == "S3 read") {
      EXPECT_EQ(f.value("ct.info", std::string()),
                "alice via 203.0.113.19 read GetObject Size=5120 URI=s3://website-assets/index.html");
      EXPECT_EQ(f.value("ct.readonly", std::string()), "true");
      EXPECT_EQ(f.value("ct.managementevent", std::string()), "false");
      EXPECT_EQ(f.value("ct.shortsrc", std::string()), "s3");
      EXPECT_EQ(f.value("ct.user.accountid", std::string()), "123456789012");
      EXPECT_EQ(f.value("ct.eventtype", std::string()), "AwsApiCall");
      EXPECT_EQ(f.value("ct.eventcategory", std::string()), "Data");
      EXPECT_EQ(f.value("s3.uri", std::string()), "s3://website-assets/index.html");
      EXPECT_EQ(f.value("s3.key", std::string()), "index.html");
      EXPECT_EQ(f.value("s3.bytes", 0), 5120);  // bytesTransferredOut is 5120.0 in the record
      EXPECT_EQ(f.value("s3.bytes.out", 0), 5120);
      EXPECT_EQ(f.value("s3.cnt.get", 0), 1);
      EXPECT_EQ(f.value("s3.cnt.other", 1), 0);
      auto resources = nlohmann::json::parse(f.value("ct.resources", std::string("null")));
      ASSERT_TRUE(resources.is_array() && resources.size() == 2) << f.dump();
      EXPECT_EQ(resources[0].value("ARN", std::string()), "arn:aws:s3:::website-assets/index.html");
    } else {
      EXPECT_EQ(f.value("ec2.name", std::string()), "build-runner");
      EXPECT_EQ(f.value("ec2.imageid", std::string()), "ami-0abcdef1234567890");
      EXPECT_EQ(f.value("ct.readonly", std::string()), "false");
      EXPECT_EQ(f.value("s3.cnt.put", 1), 0);
      EXPECT_EQ(f.value("s3.cnt.other", 0), 1);
      EXPECT_TRUE(!f.contains("ct.error") || f["ct.error"].is_null() || f["ct.error"] == "<NA>") << f.dump();
    }
  }
}

TEST(CloudtrailRules, HostileLogFilesEndTheRunWithAnError) {
  const fs::path dir = fs::temp_directory_path() / ("kestrel-cloudtrail-bad-" + std::to_string(getpid()));
  fs::create_directories(dir);
  // 20,000 nested arrays inside Records: refused before any tree is built.
  const fs::path deep = dir / "deep.json";
  std::ofstream(deep) << "{\"Records\":" << std::string(20000, '[') << std::string(20000, ']') << "}";
  auto r = run_with_plugins(kRules, plugins(deep.string()));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("nested deeper than 128 levels"), std::string::npos) << r.out;
  // A .gz that is not gzip data past its header, and a truncated one.
  const fs::path broken = dir / "broken.json.gz";
  std::ofstream(broken, std::ios::binary) << std::string("\x1f\x8b\x08\x00garbage", 11);
  r = run_with_plugins(kRules, plugins(broken.string()));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find(broken.string()), std::string::npos) << r.out;
  fs::remove_all(dir);
}

}  // namespace
