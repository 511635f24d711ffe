// evt.pluginname, evt.plugininfo, evt.asynctype and evt.is_async on plugin
// event records, evaluated by the real RuleEngine: values as libsinsp's
// sinsp_filter_check_event gives them (TYPE_PLUGINNAME, TYPE_PLUGININFO,
// TYPE_ISASYNC, TYPE_ASYNCTYPE), on the plugin's source and — for an async
// event a plugin injects into the syscall stream — on the syscall source.
// The plugins behind the events are described by a PluginEventInfo as the
// app's (app/plugin_event_names.h) does for its loaded plugins; that one is
// exercised with real plugins in tests/plugin/plugin_app_test.cpp.
#include <gtest/gtest.h>

#include "engine/eval/extract.h"
#include "sources/event/event_builder.h"
#include "tests/eval/rule_harness.h"

namespace kestrel::engine::eval::testing {
namespace {

class TwoPlugins final : public PluginEventInfo {
 public:
  std::string_view plugin_name(uint32_t id) const override {
    return id == 7 ? "alpha" : id == 8 ? "beta" : "";
  }
  bool event_summary(uint32_t id, const Event& event, uint64_t, std::string& out) override {
    if (id != 7 && id != 8) return false;
    out = std::string(plugin_name(id)) + " saw " + std::to_string(event.view.param(KP_PLUGINEVENT_event_data).size()) +
          " bytes";
    return true;
  }
};

const Event& plugin_event(World& w, uint32_t id, std::string_view async_name, bool with_async_param = true) {
  EventBuilder b(KE_PLUGINEVENT, 1'700'000'000'000'000'000ull, 0, 0);
  const uint8_t data[] = {'a', 'b', 'c'};
  b.put_int(KPARAM(PLUGINEVENT, plugin_id), id).put_bytes(KPARAM(PLUGINEVENT, event_data), data);
  if (with_async_param) {
    b.put_str(KPARAM(PLUGINEVENT, async_name), async_name);
    return w.build_only(b.finish_or_throw());
  }
  // A record written before async_name existed: two params.
  auto rec = b.finish_truncated();
  EXPECT_TRUE(rec.ok());
  return w.build_only(std::vector<uint8_t>(rec->begin(), rec->end()));
}

// The rendered output of `output` for `event` on `source`, "" without an alert.
std::string render(const std::string& source, const std::string& condition, const std::string& output,
                   const Event& event, World& w, PluginEventInfo* plugins) {
  RuleEngineOptions options;
  options.source = source;
  options.plugin_events = plugins;
  Compiled c = compile_rules(rule_yaml("r", condition, output) + "  source: " + source + "\n", options);
  EXPECT_TRUE(c.engine) << c.error;
  if (!c.engine) return "";
  auto alerts = run(*c.engine, event, w.table());
  return alerts.empty() ? "" : alerts[0].output;
}

const std::string kOut = "name=%evt.pluginname info=%evt.plugininfo async=%evt.is_async type=%evt.asynctype";

TEST(PluginEvtFields, OrdinaryEventOfAKnownPlugin) {
  World w;
  TwoPlugins plugins;
  const Event& e = plugin_event(w, 8, "");
  EXPECT_EQ(render("k8s_audit", "evt.pluginname = beta", kOut, e, w, &plugins),
            "name=beta info=beta saw 3 bytes async=false type=<NA>");
}

TEST(PluginEvtFields, AsyncEventHasItsName) {
  World w;
  TwoPlugins plugins;
  const Event& e = plugin_event(w, 7, "container_added");
  EXPECT_EQ(render("k8s_audit", "evt.asynctype = container_added and evt.is_async = true", kOut, e, w, &plugins),
            "name=alpha info=alpha saw 3 bytes async=true type=container_added");
  // In the syscall stream (a plugin's async event there): the same name.
  EXPECT_EQ(render("syscall", "evt.asynctype = container_added", "name=%evt.pluginname type=%evt.asynctype", e, w,
                   &plugins),
            "name=alpha type=container_added");
}

TEST(PluginEvtFields, UnknownPluginOrNoPluginsReadsMissing) {
  World w;
  TwoPlugins plugins;
  const Event& e = plugin_event(w, 9, "");
  EXPECT_EQ(render("k8s_audit", "not evt.pluginname exists and not evt.plugininfo exists", kOut, e, w, &plugins),
            "name=<NA> info=<NA> async=false type=<NA>");
  const Event& known = plugin_event(w, 7, "");
  EXPECT_EQ(render("k8s_audit", "not evt.pluginname exists", "name=%evt.pluginname", known, w, nullptr), "name=<NA>");
}

TEST(PluginEvtFields, RecordsWrittenBeforeAsyncNameAreOrdinaryEvents) {
  World w;
  TwoPlugins plugins;
  const Event& e = plugin_event(w, 7, "", false);
  ASSERT_EQ(e.view.nparams(), 2);
  EXPECT_EQ(render("k8s_audit", "evt.is_async = false", kOut, e, w, &plugins),
            "name=alpha info=alpha saw 3 bytes async=false type=<NA>");
}

TEST(PluginEvtFields, SyscallSourceNamesItsOtherNonSyscallEventsAndNotSyscalls) {
  World w;
  w.seed_tree();
  TwoPlugins plugins;
  const Event& open = w.openat(300, 5, "/etc/passwd", 0);
  EXPECT_EQ(render("syscall", "evt.type = openat", "type=%evt.asynctype name=%evt.pluginname", open, w, &plugins),
            "type=<NA> name=<NA>");
  EventBuilder b(KE_CONTAINER, 1000, 400, 400);
  b.put_str(KPARAM(CONTAINER, id), "abcdef012345")
      .put_int(KPARAM(CONTAINER, type), 0)
      .put_str(KPARAM(CONTAINER, name), "web")
      .put_str(KPARAM(CONTAINER, image), "nginx")
      .put_int(KPARAM(CONTAINER, privileged), 0)
      .put_strings(KPARAM(CONTAINER, args), {})
      .put_strings(KPARAM(CONTAINER, env), {})
      .put_str(KPARAM(CONTAINER, cwd), "/");
  const Event& container = w.build_only(b.finish_or_throw());
  // libsinsp names its meta events other than async ones by event name.
  EXPECT_EQ(render("syscall", "evt.is_async = true", "type=%evt.asynctype", container, w, &plugins),
            "type=container");
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
