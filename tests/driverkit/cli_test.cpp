// The command line: driverkit's flags and YAML keys, flag-over-file
// precedence, and the clean refusals (exit 2) of bad input.
#include "driverkit/cli.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "driverkit/build.h"
#include "driverkit/compiler.h"
#include "driverkit/progress.h"
#include "driverkit/subprocess.h"

namespace kestrel::driverkit {
namespace {

struct Run {
  int code;
  std::string out, err;
};

Run run(std::vector<std::string> args) {
  args.insert(args.begin(), "kestrel-driverkit");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = run_driverkit(static_cast<int>(argv.size()), argv.data(), out, err, false);
  return {code, out.str(), err.str()};
}

ParsedCommand parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kestrel-driverkit");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
}

std::string write_config(const std::string& name, const std::string& yaml) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << yaml;
  return path;
}

TEST(DriverkitCli, DriverkitYamlKeys) {
  std::string path = write_config("full.yaml", R"(kernelrelease: 6.1.0-57-amd64
kernelversion: "3"
target: debian
architecture: amd64
output:
  module: /tmp/out/kestrel.ko
kernelurls:
  - http://example.org/a.deb
  - http://example.org/b.deb
gccversion: "12"
moduledevicename: kestrel
cache: /tmp/cache
debdir: /srv/debs
)");
  auto p = parse({"build", "-c", path});
  ASSERT_EQ(p.exit_code, -1);
  EXPECT_EQ(p.config.kernelrelease, "6.1.0-57-amd64");
  EXPECT_EQ(p.config.kernelversion, "3");
  EXPECT_EQ(p.config.target, "debian");
  EXPECT_EQ(p.config.architecture, "amd64");
  EXPECT_EQ(p.config.output_module, "/tmp/out/kestrel.ko");
  EXPECT_EQ(p.config.kernelurls, (std::vector<std::string>{"http://example.org/a.deb", "http://example.org/b.deb"}));
  EXPECT_EQ(p.config.gccversion, "12");
  EXPECT_EQ(p.config.cache_dir, "/tmp/cache");
  EXPECT_EQ(p.config.deb_dir, "/srv/debs");
}

TEST(DriverkitCli, FlagsOverrideTheFileKeyByKey) {
  std::string path = write_config("base.yaml", "kernelrelease: 6.1.0-57-amd64\ntarget: debian\nkernelurls: [http://a/x.deb]\n");
  auto p = parse({"build", "-c", path, "--kernelrelease", "6.1.0-57-rt-amd64", "--kernelurls", "http://b/y.deb",
                  "--kernelurls", "http://b/z.deb"});
  ASSERT_EQ(p.exit_code, -1);
  EXPECT_EQ(p.config.kernelrelease, "6.1.0-57-rt-amd64");  // the flag
  EXPECT_EQ(p.config.target, "debian");                    // the file
  EXPECT_EQ(p.config.kernelversion, "1");                  // the default
  EXPECT_EQ(p.config.kernelurls, (std::vector<std::string>{"http://b/y.deb", "http://b/z.deb"}));
  // driverkit's comma-separated form.
  auto c = parse({"build", "--kernelurls", "http://b/y.deb,http://b/z.deb"});
  EXPECT_EQ(c.config.kernelurls, (std::vector<std::string>{"http://b/y.deb", "http://b/z.deb"}));
  // A flag left out does not reset the file's value to the flag's default.
  auto q = parse({"build", "-c", path, "--target", "vanilla"});
  EXPECT_EQ(q.config.kernelrelease, "6.1.0-57-amd64");
  EXPECT_EQ(q.config.target, "vanilla");
}

TEST(DriverkitCli, UnknownConfigKeysAreRefusedWithTheirLine) {
  auto r = run({"build", "-c", write_config("bad.yaml", "target: debian\nkernelrelase: 6.1.0-57-amd64\n")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("bad.yaml:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown key \"kernelrelase\""), std::string::npos) << r.err;
  r = run({"build", "-c", write_config("probe.yaml", "output:\n  probe: /tmp/x.o\n")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("output.probe"), std::string::npos) << r.err;
  r = run({"build", "-c", "/nonexistent/config.yaml"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("cannot read config file /nonexistent/config.yaml"), std::string::npos) << r.err;
}

TEST(DriverkitCli, BadFlagsAreUsageErrors) {
  auto r = run({"build", "--bogus"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  r = run({"build", "--kernelrelease"});
  EXPECT_EQ(r.code, kExitUsage);
  r = run({});
  EXPECT_EQ(r.code, kExitUsage);
  r = run({"frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
}

TEST(DriverkitCli, UnknownTargetListsTheKnownOnes) {
  auto r = run({"build", "--target", "gentoo", "--kernelrelease", "6.1.0-57-amd64"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("unknown target \"gentoo\"; known targets: debian, vanilla"), std::string::npos) << r.err;
  r = run({"targets"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "debian\nvanilla\n");
}

TEST(DriverkitCli, RefusesWhatItCannotHonour) {
  auto r = run({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--architecture", "mips"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("unknown architecture \"mips\""), std::string::npos) << r.err;
  r = run({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--moduledevicename", "falco"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("/dev/kestrel"), std::string::npos) << r.err;
  r = run({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--signing-key", "k.pem"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("both --signing-key and --signing-cert"), std::string::npos) << r.err;
  r = run({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--kernelconfigdata", "Q09ORklH"});
  EXPECT_EQ(r.code, kExitUsage);
  // Contradictions found before anything is fetched.
  r = run({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--architecture", "arm64",
           "--cache", ::testing::TempDir() + "/unused-cache"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("architecture arm64 contradicts kernelrelease 6.1.0-57-amd64"), std::string::npos) << r.err;
  r = run({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-mips"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("names no Debian flavour"), std::string::npos) << r.err;
  r = run({"build", "--target", "vanilla"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--kernel-dir"), std::string::npos) << r.err;
}

TEST(DriverkitCli, OutputPath) {
  BuildConfig c;
  c.target = "debian";
  c.output_module = "/tmp/x/my.ko";
  EXPECT_EQ(artifact_path_for(c, "6.1.0-57-amd64"), "/tmp/x/my.ko");
  c.output_module = "/tmp/x/";
  EXPECT_EQ(artifact_path_for(c, "6.1.0-57-amd64"), "/tmp/x/kestrel_debian_6.1.0-57-amd64_1.ko");
  c.output_module = ::testing::TempDir();  // an existing directory
  EXPECT_NE(artifact_path_for(c, "6.1.0-57-amd64").find("/kestrel_debian_6.1.0-57-amd64_1.ko"), std::string::npos);
}

TEST(DriverkitCompiler, MissingCompilerSaysWhatToInstall) {
  KernelFacts f;
  f.release = "6.1.0-57-amd64";
  f.cc_version_text = "gcc-99 (Debian 99.1.0-1) 99.1.0";
  f.gcc_major = 99;
  auto c = choose_compiler(f, "amd64", "amd64", "");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "compiler missing: gcc-99 (kernel 6.1.0-57-amd64 was built with gcc-99 (Debian 99.1.0-1) 99.1.0); "
            "apt-get install gcc-99");
  auto cross = choose_compiler(f, "arm64", "amd64", "");
  ASSERT_FALSE(cross.ok());
  EXPECT_NE(cross.status().message().find("compiler missing: aarch64-linux-gnu-gcc-99"), std::string::npos);
  EXPECT_NE(cross.status().message().find("apt-get install gcc-99-aarch64-linux-gnu"), std::string::npos);
  f.built_with_clang = true;
  f.gcc_major = 0;
  EXPECT_EQ(choose_compiler(f, "amd64", "amd64", "").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(choose_compiler(f, "amd64", "amd64", "x").status().code(), StatusCode::kInvalidArgument);
}

TEST(DriverkitProgress, CarriageReturnsOnATerminalOnly) {
  std::ostringstream plain, tty;
  Progress p(plain, false), t(tty, true);
  for (Progress* x : {&p, &t}) {
    x->step("downloading linux-kbuild-6.1");
    x->update("0.5/1.5 MB");
    x->update("1.5/1.5 MB");
    x->note("done");
  }
  EXPECT_EQ(plain.str().find('\r'), std::string::npos) << plain.str();
  EXPECT_EQ(plain.str().find("MB"), std::string::npos) << plain.str();
  EXPECT_NE(plain.str().find("downloading linux-kbuild-6.1\n"), std::string::npos) << plain.str();
  EXPECT_NE(tty.str().find("\r"), std::string::npos);
  EXPECT_NE(tty.str().find("1.5/1.5 MB"), std::string::npos);
}

TEST(DriverkitSubprocess, LastLinesAndMissingTools) {
  EXPECT_EQ(last_lines("a\nb\nc\nd\n", 2), "c\nd");
  EXPECT_EQ(last_lines("a\nb", 5), "a\nb");
  auto r = run_process({"kestrel-no-such-tool-anywhere"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("kestrel-no-such-tool-anywhere"), std::string::npos);
  auto ok = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->exit_code, 3);
  EXPECT_EQ(ok->output, "out\nerr\n");
}

}  // namespace
}  // namespace kestrel::driverkit
