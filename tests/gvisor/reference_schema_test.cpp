// Our gVisor protos (gvisor/proto/) against gVisor's own current point
// definitions (../shared/reference/gvisor-seccheck/, google/gvisor
// pkg/sentry/seccheck/points, 2026-08), compiled by protoc into a descriptor
// set of their own (reference_protos.h): an oracle the project did not write.
//
// For every message we decode, every field must have the reference's number,
// wire type and cardinality, and every reference field must be in ours;
// message-typed fields are compared by structure, recursively. Names may
// differ (the package is ours) and a reference `string` may be our `bytes`
// (same wire encoding: we keep non-UTF-8 paths, see common.proto).
#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "gvisor/point_table.h"
#include "gvisor/proto/common.pb.h"
#include "gvisor/proto/container.pb.h"
#include "gvisor/proto/sentry.pb.h"
#include "gvisor/proto/syscall.pb.h"
#include "tests/gvisor/reference_protos.h"

namespace kestrel::gvisor {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// The wire-level type: string and bytes are one.
int wire_kind(const FieldDescriptor* f) {
  return f->type() == FieldDescriptor::TYPE_STRING ? FieldDescriptor::TYPE_BYTES : f->type();
}

// Compares `ours` with `ref` field by field; differences go to `problems`
// prefixed by `where`. `seen` stops cycles (none today, but cheap).
void compare(const Descriptor* ours, const Descriptor* ref, const std::string& where,
             std::set<std::pair<const Descriptor*, const Descriptor*>>& seen, std::vector<std::string>& problems) {
  if (!seen.insert({ours, ref}).second) return;
  for (int i = 0; i < ref->field_count(); ++i) {
    const FieldDescriptor* r = ref->field(i);
    const FieldDescriptor* o = ours->FindFieldByNumber(r->number());
    std::string at = where + "." + r->name() + " (" + std::to_string(r->number()) + ")";
    if (o == nullptr) {
      problems.push_back(at + ": missing from ours");
      continue;
    }
    if (wire_kind(o) != wire_kind(r))
      problems.push_back(at + ": ours is " + o->type_name() + ", reference " + r->type_name());
    if (o->is_repeated() != r->is_repeated()) problems.push_back(at + ": repeated differs");
    if (r->type() == FieldDescriptor::TYPE_MESSAGE && o->type() == FieldDescriptor::TYPE_MESSAGE)
      compare(o->message_type(), r->message_type(), at, seen, problems);
  }
  for (int i = 0; i < ours->field_count(); ++i) {
    const FieldDescriptor* o = ours->field(i);
    if (ref->FindFieldByNumber(o->number()) == nullptr)
      problems.push_back(where + "." + o->name() + " (" + std::to_string(o->number()) +
                         "): in ours, not in the reference");
  }
}

class ReferenceSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    ref_ = test::ReferenceProtos::load();
    ASSERT_NE(ref_, nullptr) << test::ReferenceProtos::last_error();
  }
  // Our message `ours` against the reference message of the same short name
  // in package gvisor.<pkg>.
  std::vector<std::string> problems_of(const Descriptor* ours, const std::string& pkg) {
    const Descriptor* ref = ref_->pool().FindMessageTypeByName("gvisor." + pkg + "." + ours->name());
    if (ref == nullptr) return {ours->full_name() + ": no gvisor." + pkg + "." + ours->name() + " in the reference"};
    std::set<std::pair<const Descriptor*, const Descriptor*>> seen;
    std::vector<std::string> problems;
    compare(ours, ref, ours->name(), seen, problems);
    return problems;
  }
  void expect_file_matches(const google::protobuf::FileDescriptor* file, const std::string& pkg,
                           const std::set<std::string>& ours_only) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      const Descriptor* d = file->message_type(i);
      if (ours_only.count(d->name())) continue;
      for (const std::string& p : problems_of(d, pkg)) ADD_FAILURE() << p;
    }
  }
  std::unique_ptr<test::ReferenceProtos> ref_;
};

TEST_F(ReferenceSchema, CommonMessagesMatch) {
  expect_file_matches(common::ContextData::descriptor()->file(), "common", {});
}

TEST_F(ReferenceSchema, ContainerMessagesMatch) {
  expect_file_matches(container::Start::descriptor()->file(), "container", {});
}

TEST_F(ReferenceSchema, SentryMessagesMatch) {
  expect_file_matches(sentry::ExecveInfo::descriptor()->file(), "sentry", {});
}

TEST_F(ReferenceSchema, SyscallMessagesMatch) {
  // syscall.Timespec is our own copy of common.Timespec, used only inside
  // ItimerSpec: compared by structure through ItimerSpec's fields.
  expect_file_matches(syscall::Open::descriptor()->file(), "syscall", {"Timespec"});
}

TEST_F(ReferenceSchema, MessageTypeNumbersMatch) {
  const EnumDescriptor* ours = common::MessageType_descriptor();
  const EnumDescriptor* ref = ref_->pool().FindEnumTypeByName("gvisor.common.MessageType");
  ASSERT_NE(ref, nullptr);
  for (int i = 0; i < ref->value_count(); ++i) {
    const auto* r = ref->value(i);
    const auto* o = ours->FindValueByName(r->name());
    ASSERT_NE(o, nullptr) << r->name() << " missing from ours";
    EXPECT_EQ(o->number(), r->number()) << r->name();
  }
  EXPECT_EQ(ours->value_count(), ref->value_count());
}

TEST_F(ReferenceSchema, EveryReferenceMessageTypeIsDecoded) {
  // Each message type the reference defines has a row in the point table
  // (the decoder dispatches through it), none is left counted as unknown.
  const EnumDescriptor* ref = ref_->pool().FindEnumTypeByName("gvisor.common.MessageType");
  ASSERT_NE(ref, nullptr);
  for (int i = 0; i < ref->value_count(); ++i) {
    int n = ref->value(i)->number();
    if (n == 0) continue;  // MESSAGE_UNKNOWN
    EXPECT_NE(point_row(static_cast<uint16_t>(n)), nullptr) << ref->value(i)->name() << " = " << n;
  }
}

}  // namespace
}  // namespace kestrel::gvisor
