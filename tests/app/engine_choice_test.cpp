// engine.kind=auto and kmod decided from facts (app/engine_choice.h): the
// facts are what source_factory.cpp reads from the kernel; here they are
// given, so every branch is seen on any host.
#include <gtest/gtest.h>

#include "app/engine_choice.h"

namespace kestrel {
namespace {

const Status kNoBtf(StatusCode::kUnavailable, "this kernel exposes no BTF");

EngineFacts facts(Status ebpf, bool device, std::string index) {
  EngineFacts f;
  f.ebpf = std::move(ebpf);
  f.kmod_device = device;
  f.kmod_index = std::move(index);
  return f;
}

TEST(EngineChoice, AutoPrefersTheProbeWheneverItCanRun) {
  for (bool device : {false, true})
    for (std::string index : {"", "/srv/drivers/index.json"}) {
      auto c = choose_syscall_engine("auto", facts(ok_status(), device, index));
      ASSERT_TRUE(c.ok()) << c.status().to_string();
      EXPECT_EQ(c->kind, "ebpf");
      EXPECT_FALSE(c->load_from_index);
    }
}

TEST(EngineChoice, AutoTakesALoadedModuleBeforeTheIndex) {
  auto c = choose_syscall_engine("auto", facts(kNoBtf, true, "/srv/drivers/index.json"));
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->kind, "kmod");
  EXPECT_FALSE(c->load_from_index);
  EXPECT_NE(c->why.find("no BTF"), std::string::npos) << c->why;  // the log says why not eBPF
}

TEST(EngineChoice, AutoLoadsFromTheIndexWhenTheDeviceIsMissing) {
  auto c = choose_syscall_engine("auto", facts(kNoBtf, false, "/srv/drivers/index.json"));
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->kind, "kmod");
  EXPECT_TRUE(c->load_from_index);
  EXPECT_NE(c->why.find("/srv/drivers/index.json"), std::string::npos) << c->why;
  EXPECT_NE(c->why.find("no BTF"), std::string::npos) << c->why;
}

TEST(EngineChoice, AutoWithNothingNamesAllThreeRemedies) {
  auto c = choose_syscall_engine("auto", facts(kNoBtf, false, ""));
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("no BTF"), std::string::npos) << m;
  EXPECT_NE(m.find("/dev/kestrel is missing"), std::string::npos) << m;
  EXPECT_NE(m.find("BTF >= 5.17 as root"), std::string::npos) << m;
  EXPECT_NE(m.find("kestrel-driverkit build and insmod it"), std::string::npos) << m;
  EXPECT_NE(m.find("engine.kmod.index"), std::string::npos) << m;
}

TEST(EngineChoice, KmodLoadsFromTheIndexOnlyWhenTheDeviceIsMissing) {
  // The eBPF facts do not matter to engine.kind=kmod.
  auto present = choose_syscall_engine("kmod", facts(ok_status(), true, "/srv/drivers/index.json"));
  ASSERT_TRUE(present.ok());
  EXPECT_EQ(present->kind, "kmod");
  EXPECT_FALSE(present->load_from_index);

  auto missing = choose_syscall_engine("kmod", facts(ok_status(), false, "/srv/drivers/index.json"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->kind, "kmod");
  EXPECT_TRUE(missing->load_from_index);

  // No index: the source itself reports the missing module when opened.
  auto plain = choose_syscall_engine("kmod", facts(ok_status(), false, ""));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->kind, "kmod");
  EXPECT_FALSE(plain->load_from_index);
}

TEST(EngineChoice, OtherKindsAreNotChosen) {
  EXPECT_EQ(choose_syscall_engine("ebpf", facts(ok_status(), false, "")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(EngineChoice, AnIndexFailureUnderAutoAlsoSaysWhyNotEbpf) {
  const Status lookup(StatusCode::kUnavailable, "engine.kmod.index: kernel 6.18.1 is not in the driver index i.json");
  Status a = index_load_failure("auto", facts(kNoBtf, false, "i.json"), lookup);
  EXPECT_EQ(a.code(), StatusCode::kUnavailable);
  EXPECT_NE(a.message().find("no BTF"), std::string::npos) << a.message();
  EXPECT_NE(a.message().find("kernel 6.18.1 is not in the driver index i.json"), std::string::npos) << a.message();
  Status k = index_load_failure("kmod", facts(kNoBtf, false, "i.json"), lookup);
  EXPECT_EQ(k.message().find("BTF"), std::string::npos) << k.message();  // kmod never asked the probe
  EXPECT_NE(k.message().find("kernel 6.18.1 is not in the driver index i.json"), std::string::npos) << k.message();
}

}  // namespace
}  // namespace kestrel
