// reference_protos.h — gVisor's own point definitions, as descriptors.
//
// ../shared/reference/gvisor-seccheck/*.proto (google/gvisor
// pkg/sentry/seccheck/points, 2026-08) are compiled by protoc at build time
// into a descriptor set (tests/gvisor/CMakeLists.txt: their imports name
// "pkg/sentry/seccheck/points/...", mapped onto that folder), loaded here
// into a pool of their own. Tests use them to check our protos and to build
// packets from a schema the project did not write (DynamicMessage). A
// missing file or a set that does not load is an error the test reports,
// never a skip.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#ifndef KESTREL_GVISOR_REFERENCE_DESC
#error "KESTREL_GVISOR_REFERENCE_DESC must name the compiled reference descriptor set"
#endif

namespace kestrel::gvisor::test {

class ReferenceProtos {
 public:
  // nullptr on failure; last_error() says why.
  static std::unique_ptr<ReferenceProtos> load() {
    std::ifstream in(KESTREL_GVISOR_REFERENCE_DESC, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    google::protobuf::FileDescriptorSet set;
    if (!in || !set.ParseFromString(bytes.str())) {
      error() = std::string("cannot read the descriptor set ") + KESTREL_GVISOR_REFERENCE_DESC;
      return nullptr;
    }
    auto r = std::unique_ptr<ReferenceProtos>(new ReferenceProtos());
    for (const auto& file : set.file()) {  // dependencies come first (--include_imports)
      if (r->pool_.BuildFile(file) == nullptr) {
        error() = "cannot build " + file.name() + " from " + KESTREL_GVISOR_REFERENCE_DESC;
        return nullptr;
      }
    }
    if (r->pool_.FindMessageTypeByName("gvisor.common.ContextData") == nullptr) {
      error() = std::string("no gvisor.common.ContextData in ") + KESTREL_GVISOR_REFERENCE_DESC;
      return nullptr;
    }
    return r;
  }
  static const std::string& last_error() { return error(); }

  const google::protobuf::DescriptorPool& pool() const { return pool_; }
  // A new empty message of reference type `full_name` (e.g.
  // "gvisor.syscall.Listen"), or nullptr if there is none.
  std::unique_ptr<google::protobuf::Message> make(const std::string& full_name) {
    const auto* d = pool_.FindMessageTypeByName(full_name);
    if (d == nullptr) return nullptr;
    return std::unique_ptr<google::protobuf::Message>(factory_.GetPrototype(d)->New());
  }

 private:
  static std::string& error() {
    static std::string e;
    return e;
  }
  ReferenceProtos() : factory_(&pool_) {}

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
};

}  // namespace kestrel::gvisor::test
