// The debian target: kernels from Debian's archive, release names
// <abi>-<flavour> (6.1.0-57-amd64, 6.1.0-57-rt-amd64,
// 6.12.118+deb12-cloud-amd64, 6.1.0-57-arm64). The headers are the package
// linux-headers-<release> and whatever it Depends on (deb_headers.h).
#include "driverkit/deb_headers.h"
#include "driverkit/target.h"

namespace kestrel::driverkit {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class DebianTarget : public Target {
 public:
  std::string name() const override { return "debian"; }

  Result<std::string> architecture(const BuildConfig& config, const std::string&) const override {
    if (config.kernelrelease.empty())
      return Status(StatusCode::kInvalidArgument, "target debian needs --kernelrelease (e.g. 6.1.0-57-amd64)");
    // Debian's flavours end in their architecture: amd64, cloud-amd64, rt-amd64, arm64, rt-arm64.
    std::string arch;
    if (ends_with(config.kernelrelease, "-amd64")) arch = "amd64";
    if (ends_with(config.kernelrelease, "-arm64")) arch = "arm64";
    if (arch.empty())
      return Status(StatusCode::kInvalidArgument,
                    "kernelrelease " + config.kernelrelease +
                        " names no Debian flavour of amd64 or arm64 (expected …-amd64, …-cloud-amd64, …-rt-amd64, …-arm64)");
    if (!config.architecture.empty() && config.architecture != arch)
      return Status(StatusCode::kInvalidArgument, "architecture " + config.architecture + " contradicts kernelrelease " +
                                                      config.kernelrelease + " (a " + arch + " kernel)");
    return arch;
  }

  Result<PreparedKernel> prepare(const BuildConfig& config, const std::string& architecture,
                                 const TargetEnv& env) override {
    DebHeadersRequest request{"debian", "linux-headers-" + config.kernelrelease, config.kernelrelease, architecture};
    return prepare_deb_headers(request, config, env);
  }
};

}  // namespace

std::unique_ptr<Target> make_debian_target() { return std::make_unique<DebianTarget>(); }

}  // namespace kestrel::driverkit
