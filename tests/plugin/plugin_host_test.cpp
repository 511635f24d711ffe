// The plugin host against real shared libraries: our k8saudit plugin and
// small test plugins that break the contract (tests/plugin/test_plugins/).
// Expected values come from reading the falco-regression audit events.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <string>

#include "engine/eval/extract.h"
#include "plugins/plugin_field_provider.h"
#include "plugins/plugin_library.h"
#include "plugins/plugin_source.h"
#include "tests/support/record_conformance.h"

namespace kestrel::plugin {
namespace {

const std::string kTraces = std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/k8s_audit/";

std::shared_ptr<PluginLibrary> k8saudit() {
  auto lib = PluginLibrary::load(K8SAUDIT_PLUGIN);
  EXPECT_TRUE(lib.ok()) << lib.status().to_string();
  if (!lib.ok()) return nullptr;
  Status s = (*lib)->init("{}");
  EXPECT_TRUE(s.ok()) << s.to_string();
  return *lib;
}

// Every record a source yields until EOF, copied.
std::vector<std::vector<uint8_t>> drain(Source& src) {
  std::vector<std::vector<uint8_t>> out;
  EventBatch batch;
  for (int i = 0; i < 1000; ++i) {
    auto r = src.next(batch, std::chrono::milliseconds(10));
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok() || *r == NextOutcome::kEof) break;
    for (const auto& e : batch.events) {
      // Every KE_PLUGINEVENT record the host yields conforms to the ABI and the table.
      auto problems = test::record_problems(e.view);
      EXPECT_TRUE(problems.empty()) << test::describe_problems(problems);
      out.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
    }
  }
  return out;
}

TEST(PluginLibrary, LoadsK8sauditAndReadsItsIdentityAndFields) {
  auto lib = PluginLibrary::load(K8SAUDIT_PLUGIN);
  ASSERT_TRUE(lib.ok()) << lib.status().to_string();
  const PluginInfo& info = (*lib)->info();
  EXPECT_EQ(info.name, "k8saudit");
  EXPECT_EQ(info.event_source, "k8s_audit");
  EXPECT_EQ(info.id, 1u);
  EXPECT_TRUE(info.can_source);
  EXPECT_TRUE(info.can_extract);
  bool verb = false, images = false, jevt = false;
  for (const auto& f : info.fields) {
    if (f.name == "ka.verb") verb = f.ftype == FTYPE_STRING && !f.is_list && !f.arg_index && !f.arg_key;
    if (f.name == "ka.req.pod.containers.image") images = f.is_list && f.arg_index && !f.arg_required;
    if (f.name == "jevt.value") jevt = f.arg_key && f.arg_required;
  }
  EXPECT_TRUE(verb);
  EXPECT_TRUE(images);
  EXPECT_TRUE(jevt);
}

TEST(PluginLibrary, MissingFileIsNotFoundAndNamesThePath) {
  auto lib = PluginLibrary::load("/nonexistent/libnothing.so");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().code(), StatusCode::kNotFound);
  EXPECT_NE(lib.status().message().find("/nonexistent/libnothing.so"), std::string::npos);
}

TEST(PluginLibrary, NonLibraryFileIsRefused) {
  const std::string path = ::testing::TempDir() + "/not_a_plugin.so";
  std::ofstream(path) << "this is text, not ELF\n";
  auto lib = PluginLibrary::load(path);
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.status().message().find("cannot load"), std::string::npos) << lib.status().message();
}

TEST(PluginLibrary, LibraryWithoutPluginSymbolsNamesWhatIsMissing) {
  auto lib = PluginLibrary::load(NOSOURCE_PLUGIN);
  ASSERT_FALSE(lib.ok());
  const std::string& m = lib.status().message();
  EXPECT_NE(m.find("missing symbol"), std::string::npos) << m;
  EXPECT_NE(m.find("plugin_init"), std::string::npos) << m;
  EXPECT_NE(m.find("plugin_get_last_error"), std::string::npos) << m;
  EXPECT_EQ(m.find("plugin_get_name"), std::string::npos) << m;  // it has that one
}

TEST(PluginLibrary, WrongApiVersionsAreRefused) {
  for (const char* path : {API4_PLUGIN, API_MINOR_PLUGIN}) {
    auto lib = PluginLibrary::load(path);
    ASSERT_FALSE(lib.ok()) << path;
    const std::string& m = lib.status().message();
    EXPECT_NE(m.find("requires plugin API version"), std::string::npos) << m;
    EXPECT_NE(m.find(path), std::string::npos) << m;
  }
  EXPECT_TRUE(check_api_version("3.0.0").ok());
  EXPECT_TRUE(check_api_version("3.3.0").ok());
  EXPECT_TRUE(check_api_version("3.3.1").ok());  // an older minor, any patch
  EXPECT_TRUE(check_api_version("3.12.0").ok());
  EXPECT_FALSE(check_api_version("3.12.1").ok());
  EXPECT_FALSE(check_api_version("2.0.0").ok());
  EXPECT_FALSE(check_api_version("three").ok());
}

TEST(PluginLibrary, InitErrorCarriesThePluginsText) {
  auto lib = PluginLibrary::load(K8SAUDIT_PLUGIN);
  ASSERT_TRUE(lib.ok());
  // Refused by k8saudit's own init schema before plugin_init runs (as
  // Falco does), then by the plugin itself for a value the schema allows.
  Status s = (*lib)->init("[1, 2]");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("plugin 'k8saudit': init_config does not follow the plugin's JSON schema: init_config: "
                             "expected object, got array"),
            std::string::npos)
      << s.message();
  EXPECT_FALSE((*lib)->initialized());
  s = (*lib)->init(R"({"maxEventSize": -1})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("plugin 'k8saudit': init failed"), std::string::npos) << s.message();
  EXPECT_FALSE((*lib)->initialized());
}

TEST(PluginLibrary, GetFieldsJsonIsValidated) {
  EXPECT_FALSE(parse_plugin_fields("{}").ok());
  EXPECT_FALSE(parse_plugin_fields(R"([{"name":"a.b","type":"float"}])").ok());
  EXPECT_FALSE(parse_plugin_fields(R"([{"name":"a.b","type":"string","arg":{"isRequired":true}}])").ok());
  auto ok = parse_plugin_fields(R"([{"name":"a.b","type":"uint64","isList":true,"arg":{"isIndex":true}}])");
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].ftype, static_cast<uint32_t>(FTYPE_UINT64));
  EXPECT_TRUE((*ok)[0].is_list);
  EXPECT_TRUE((*ok)[0].arg_index);
}

TEST(PluginSource, YieldsOnePluginEventPerAuditEvent) {
  auto lib = k8saudit();
  ASSERT_TRUE(lib);
  PluginSource src(lib, kTraces + "create_configmap_sensitive_values.json");  // 6 events, one per line
  ASSERT_TRUE(src.open().ok());
  auto records = drain(src);
  ASSERT_EQ(records.size(), 6u);
  for (const auto& r : records) {
    auto v = EventView::parse(r);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->type(), KE_PLUGINEVENT);
    auto id = v->param(KP_PLUGINEVENT_plugin_id);
    ASSERT_EQ(id.size(), 4u);
    uint32_t plugin_id;
    std::memcpy(&plugin_id, id.data(), 4);
    EXPECT_EQ(plugin_id, 1u);
    auto data = v->param(KP_PLUGINEVENT_event_data);
    auto j = nlohmann::json::parse(data.begin(), data.end());
    EXPECT_EQ(j["objectRef"]["resource"], "configmaps");
  }
  EXPECT_EQ(src.stats().events, 6u);
  src.close();
}

TEST(PluginSource, OpenErrorCarriesThePluginsText) {
  auto lib = k8saudit();
  ASSERT_TRUE(lib);
  PluginSource src(lib, "/nonexistent/audit.log");
  Status s = src.open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot open audit event file '/nonexistent/audit.log'"), std::string::npos)
      << s.message();
}

// A plugin-ABI event with the given fields, for the untrusted-input checks.
std::vector<uint8_t> abi_event(uint16_t type, uint32_t id_len, uint32_t plugin_id, size_t data_len,
                               uint32_t claimed_data_len) {
  ss_plugin_event hdr{};
  hdr.ts = 42;
  hdr.type = type;
  hdr.nparams = 2;
  std::vector<uint8_t> out(sizeof hdr + 8 + id_len + data_len, 'x');
  hdr.len = static_cast<uint32_t>(out.size());
  std::memcpy(out.data(), &hdr, sizeof hdr);
  uint32_t lens[2] = {id_len, claimed_data_len};
  std::memcpy(out.data() + sizeof hdr, lens, 8);
  if (id_len >= 4) std::memcpy(out.data() + sizeof hdr + 8, &plugin_id, 4);
  return out;
}

TEST(PluginSource, MalformedAndOversizedEventsAreRefused) {
  std::string why;
  auto conv = [&](const std::vector<uint8_t>& e) {
    return plugin_event_to_record(reinterpret_cast<const ss_plugin_event*>(e.data()), 7, &why);
  };
  auto good = conv(abi_event(KESTREL_PLUGIN_EVENT_CODE, 4, 7, 10, 10));
  ASSERT_TRUE(good.has_value());
  auto v = EventView::parse(*good);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->ts(), 42u);
  EXPECT_EQ(v->param(KP_PLUGINEVENT_event_data).size(), 10u);
  EXPECT_TRUE(conv(abi_event(KESTREL_PLUGIN_EVENT_CODE, 4, 0, 3, 3)).has_value());  // 0 = this plugin

  EXPECT_FALSE(conv(abi_event(1, 4, 7, 10, 10)).has_value());  // not a plugin event
  EXPECT_EQ(why, "malformed");
  EXPECT_FALSE(conv(abi_event(KESTREL_PLUGIN_EVENT_CODE, 4, 8, 10, 10)).has_value());  // another plugin's id
  EXPECT_EQ(why, "malformed");
  EXPECT_FALSE(conv(abi_event(KESTREL_PLUGIN_EVENT_CODE, 4, 7, 10, 1000)).has_value());  // data past len
  EXPECT_EQ(why, "malformed");
  EXPECT_FALSE(conv(abi_event(KESTREL_PLUGIN_EVENT_CODE, 2, 7, 10, 10)).has_value());  // 2-byte id
  EXPECT_EQ(why, "malformed");
  const size_t big = kMaxPluginEventData + 1;
  EXPECT_FALSE(conv(abi_event(KESTREL_PLUGIN_EVENT_CODE, 4, 7, big, static_cast<uint32_t>(big))).has_value());
  EXPECT_EQ(why, "too_large");
}

// Extracts `field[arg]` through the provider from the first event of `file`.
struct Extracted {
  engine::eval::ValueKind kind = engine::eval::ValueKind::kMissing;
  std::vector<std::string> values;
};

Extracted extract_from(const std::string& file, const std::string& field, std::optional<std::string> arg,
                       engine::FieldType type) {
  auto lib = k8saudit();
  Extracted out;
  if (!lib) return out;
  PluginSource src(lib, kTraces + file);
  EXPECT_TRUE(src.open().ok());
  auto records = drain(src);
  EXPECT_FALSE(records.empty());
  if (records.empty()) return out;
  PluginFieldProvider provider(lib);
  auto handle = provider.prepare(field, arg, type);
  EXPECT_TRUE(handle.has_value()) << field;
  if (!handle) return out;
  Event ev{*EventView::parse(records[0]), kHostDomain, 0};
  engine::eval::Scratch scratch;
  auto v = provider.extract(ev, 1, *handle, scratch);
  out.kind = v.kind;
  if (v.kind == engine::eval::ValueKind::kString) out.values.emplace_back(v.str);
  if (v.kind == engine::eval::ValueKind::kList)
    for (auto s : v.list) out.values.emplace_back(s);
  if (v.kind == engine::eval::ValueKind::kBool) out.values.push_back(v.b ? "true" : "false");
  EXPECT_EQ(provider.errors(), 0u);
  return out;
}

using engine::FieldType;
using engine::eval::ValueKind;

TEST(PluginFieldProvider, ExtractsScalarsListsAndArguments) {
  auto verb = extract_from("exec_pod.json", "ka.verb", std::nullopt, FieldType::kString);
  EXPECT_EQ(verb.kind, ValueKind::kString);
  EXPECT_EQ(verb.values, std::vector<std::string>{"create"});

  auto sub = extract_from("exec_pod.json", "ka.target.subresource", std::nullopt, FieldType::kString);
  EXPECT_EQ(sub.values, std::vector<std::string>{"exec"});

  auto cmd = extract_from("exec_pod.json", "ka.uri.param", "command", FieldType::kString);
  EXPECT_EQ(cmd.values, std::vector<std::string>{"bash"});

  auto stage = extract_from("exec_pod.json", "jevt.value", "/stage", FieldType::kString);
  EXPECT_EQ(stage.values, std::vector<std::string>{"ResponseStarted"});

  auto images = extract_from("create_nginx_pod_sensitive_mount_2nd_container.json", "ka.req.pod.containers.image",
                             std::nullopt, FieldType::kStringList);
  EXPECT_EQ(images.kind, ValueKind::kList);
  EXPECT_EQ(images.values, (std::vector<std::string>{"nginx", "mysql:latest"}));

  auto repos = extract_from("create_nginx_pod_sensitive_mount_2nd_container.json",
                            "ka.req.pod.containers.image.repository", std::nullopt, FieldType::kStringList);
  EXPECT_EQ(repos.values, (std::vector<std::string>{"nginx", "mysql"}));

  auto second = extract_from("create_nginx_pod_sensitive_mount_2nd_container.json", "ka.req.pod.containers.image",
                             "1", FieldType::kStringList);
  EXPECT_EQ(second.values, std::vector<std::string>{"mysql:latest"});

  auto priv = extract_from("create_nginx_pod_privileged_2nd_container.json", "ka.req.pod.containers.privileged",
                           std::nullopt, FieldType::kStringList);
  EXPECT_EQ(priv.values, (std::vector<std::string>{"false", "true"}));

  // No securityContext in the first container: skipped, as upstream does.
  auto skip = extract_from("create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json",
                           "ka.req.pod.containers.privileged", std::nullopt, FieldType::kStringList);
  EXPECT_EQ(skip.values, std::vector<std::string>{"true"});

  auto any = extract_from("create_nginx_pod_privileged_2nd_container.json", "ka.req.container.privileged",
                          std::nullopt, FieldType::kBool);
  EXPECT_EQ(any.kind, ValueKind::kBool);
  EXPECT_EQ(any.values, std::vector<std::string>{"true"});

  auto code = extract_from("create_nginx_pod_privileged_2nd_container.json", "ka.response.code", std::nullopt,
                           FieldType::kString);
  EXPECT_EQ(code.values, std::vector<std::string>{"201"});

  // 2018-10-25T17:53:07.006845Z
  auto raw = extract_from("create_nginx_pod_privileged_2nd_container.json", "jevt.rawtime", std::nullopt,
                          FieldType::kString);
  EXPECT_EQ(raw.values, std::vector<std::string>{"1540489987006845000"});

  auto absent = extract_from("exec_pod.json", "ka.req.pod.containers.image", std::nullopt, FieldType::kStringList);
  EXPECT_EQ(absent.kind, ValueKind::kMissing);
}

TEST(PluginFieldProvider, ANewEngineRestartingEventNumbersGetsFreshValues) {
  // After a SIGHUP reload a new engine numbers events from 1 again; the
  // provider (and the plugin's per-evtnum cache) must not serve the values
  // of the previous engine's event with the same number.
  auto lib = k8saudit();
  ASSERT_TRUE(lib);
  std::vector<std::vector<uint8_t>> records;
  for (const char* file : {"create_configmap.json", "create_nginx_pod_privileged.json"}) {
    PluginSource src(lib, kTraces + file);
    ASSERT_TRUE(src.open().ok());
    auto r = drain(src);
    ASSERT_EQ(r.size(), 1u);
    records.push_back(std::move(r[0]));
  }
  PluginFieldProvider provider(lib);
  auto handle = provider.prepare("ka.target.resource", std::nullopt, FieldType::kString);
  ASSERT_TRUE(handle);
  engine::eval::Scratch scratch;
  Event first{*EventView::parse(records[0]), kHostDomain, 0};
  Event second{*EventView::parse(records[1]), kHostDomain, 0};
  EXPECT_EQ(provider.extract(first, 1, *handle, scratch).str, "configmaps");
  EXPECT_EQ(provider.extract(first, 1, *handle, scratch).str, "configmaps");
  EXPECT_EQ(provider.extract(second, 1, *handle, scratch).str, "pods");
}

TEST(PluginFieldProvider, UnknownFieldsAndArgumentsAreNotPrepared) {
  auto lib = k8saudit();
  ASSERT_TRUE(lib);
  PluginFieldProvider provider(lib);
  EXPECT_FALSE(provider.prepare("ka.nope", std::nullopt, FieldType::kString).has_value());
  EXPECT_FALSE(provider.prepare("ka.verb", std::string("1"), FieldType::kString).has_value());  // takes no arg
  EXPECT_FALSE(provider.prepare("jevt.value", std::nullopt, FieldType::kString).has_value());  // arg required
}

}  // namespace
}  // namespace kestrel::plugin
