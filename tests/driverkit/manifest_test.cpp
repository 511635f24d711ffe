// The artifact's name and the manifest `verify` reads (schema agreed with it).
#include "driverkit/manifest.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "driverkit/kernel_config.h"
#include "driverkit/signing.h"

namespace kestrel::driverkit {
namespace {

std::string temp_file(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(Artifact, NameIsTargetReleaseVersion) {
  EXPECT_EQ(artifact_name("debian", "6.1.0-57-amd64", "1"), "kestrel_debian_6.1.0-57-amd64_1.ko");
  EXPECT_EQ(artifact_name("debian", "6.12.118+deb12-cloud-amd64", "7"),
            "kestrel_debian_6.12.118+deb12-cloud-amd64_7.ko");
  EXPECT_EQ(manifest_path_for("/out/kestrel_debian_6.1.0-57-amd64_1.ko"), "/out/kestrel_debian_6.1.0-57-amd64_1.json");
  EXPECT_EQ(manifest_path_for("/out/module"), "/out/module.json");
}

TEST(Manifest, Sha256OfKnownFiles) {
  // FIPS 180-2 test vector "abc", and the empty input.
  auto abc = sha256_file(temp_file("abc", "abc"));
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto empty = sha256_file(temp_file("empty", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_FALSE(sha256_file("/nonexistent/file").ok());
}

TEST(Manifest, HasExactlyTheAgreedKeys) {
  Manifest m;
  m.artifact = "kestrel_debian_6.1.0-57-amd64_1.ko";
  m.sha256 = "ab";
  m.size = 42;
  m.target = "debian";
  m.kernelrelease = "6.1.0-57-amd64";
  m.kernelversion = "1";
  m.architecture = "amd64";
  m.vermagic = "6.1.0-57-amd64 SMP preempt mod_unload modversions";
  m.compiler_path = "/usr/bin/gcc-12";
  m.compiler_version = "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0";
  m.inputs.push_back({"linux-headers-6.1.0-57-amd64", "6.1.192-3", "cd", "apt", "http://x/y.deb", "amd64"});
  m.event_types = {"execve"};
  m.build_seconds = 12.5;
  auto j = manifest_json(m);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"schema", "artifact", "sha256", "size", "target", "kernelrelease",
                                            "kernelversion", "architecture", "vermagic", "compiler", "inputs",
                                            "event_types", "build_seconds", "cache", "signed", "verify"}));
  EXPECT_EQ(j["schema"], "kestrel-driverkit-manifest/1");
  EXPECT_EQ(j["size"], 42);
  EXPECT_EQ(j["cache"], "cold");
  EXPECT_TRUE(j["signed"].is_null());
  EXPECT_TRUE(j["verify"].is_null());
  EXPECT_EQ(j["compiler"]["path"], "/usr/bin/gcc-12");
  EXPECT_EQ(j["inputs"][0]["package"], "linux-headers-6.1.0-57-amd64");
  EXPECT_EQ(j["inputs"][0]["source"], "apt");
  EXPECT_EQ(j["inputs"][0]["origin"], "http://x/y.deb");
  EXPECT_EQ(j["event_types"][0], "execve");

  m.warm_cache = true;
  m.signature = Signature{"0123abcd", "sha512", "kestrel test"};
  j = manifest_json(m);
  EXPECT_EQ(j["cache"], "warm");
  EXPECT_EQ(j["signed"]["key_id"], "0123abcd");
  EXPECT_EQ(j["signed"]["hash"], "sha512");
  EXPECT_EQ(j["signed"]["signer"], "kestrel test");

  std::string path = ::testing::TempDir() + "/m.json";
  ASSERT_TRUE(write_manifest(m, path).ok());
  std::ifstream in(path);
  auto back = nlohmann::json::parse(in);
  EXPECT_EQ(back["artifact"], m.artifact);
  EXPECT_EQ(back["build_seconds"], 12.5);
}

// Signing uses the kernel's own hash, so a kernel whose other hashes are
// modules (Debian: sha512 =m) can check the signature without loading one.
TEST(Signing, HashIsTheKernelsModuleSigHash) {
  EXPECT_EQ(signature_hash({{"CONFIG_MODULE_SIG_HASH", "sha256"}}), "sha256");
  EXPECT_EQ(signature_hash({{"CONFIG_MODULE_SIG_HASH", "sha384"}}), "sha384");
  EXPECT_EQ(signature_hash({}), "sha512");
}

TEST(Vermagic, ComposedAsVermagicHDoes) {
  KernelFacts f;
  f.release = "6.1.0-57-amd64";
  f.config = {{"CONFIG_SMP", "y"}, {"CONFIG_PREEMPT_BUILD", "y"}, {"CONFIG_MODULE_UNLOAD", "y"},
              {"CONFIG_MODVERSIONS", "y"}};
  EXPECT_EQ(expected_vermagic(f, "amd64"), "6.1.0-57-amd64 SMP preempt mod_unload modversions");
  f.config.erase("CONFIG_PREEMPT_BUILD");
  f.config["CONFIG_PREEMPT_RT"] = "y";
  EXPECT_EQ(expected_vermagic(f, "amd64"), "6.1.0-57-amd64 SMP preempt_rt mod_unload modversions");
  f.config.erase("CONFIG_PREEMPT_RT");
  EXPECT_EQ(expected_vermagic(f, "arm64"), "6.1.0-57-amd64 SMP mod_unload modversions aarch64");
  EXPECT_EQ(trim_vermagic("6.1.0-57-amd64 SMP preempt mod_unload modversions \n"),
            "6.1.0-57-amd64 SMP preempt mod_unload modversions");
}

}  // namespace
}  // namespace kestrel::driverkit
