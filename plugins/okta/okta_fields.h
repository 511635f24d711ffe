// okta_fields.h — the okta plugin's fields (okta.*): their table and their
// values on one Okta System Log event (Okta's LogEvent object: eventType,
// actor, client, outcome, target[], debugContext, ...).
//
// Names and meanings follow the upstream okta plugin's documented field
// table (falcosecurity/plugins, plugins/okta README) so Falco's
// okta_rules.yaml means the same here.
//
// okta.mfa.failure.countlast[N] and okta.mfa.deny.countlast[N] are the
// stateful ones (MfaWindow below): on an MFA failure
// (user.authentication.auth_via_mfa with outcome FAILURE), resp. a denied
// Okta Verify push (user.mfa.okta_verify.deny_push), how many such events
// the same actor had in the N seconds up to and including this one (one
// exactly N s older is outside, as upstream counts). On other events they
// have no value.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plugins/plugin_kit/json_fields.h"

namespace kestrel::okta {

const std::vector<plugin_kit::FieldSpec>& okta_fields();

// Per-actor times of MFA failures and denials, bounded like upstream's
// cache: at most `per_actor_max` times per actor and kind, none older than
// `expiration_s` before the newest event seen.
class MfaWindow {
 public:
  MfaWindow(uint64_t expiration_s, size_t per_actor_max) : expiration_ns_(expiration_s * 1000000000ull), max_(per_actor_max) {}

  // Records `event` (at `ts`, ns) when it is an MFA failure or denial.
  void observe(const plugin_kit::json& event, uint64_t ts);

  // The count for `event`'s own kind and actor within `seconds` before
  // `ts`; nullopt when `event` is not of that kind.
  std::optional<uint64_t> count(const plugin_kit::json& event, bool deny, uint64_t ts, uint64_t seconds) const;

 private:
  uint64_t expiration_ns_;
  size_t max_;
  std::map<std::string, std::deque<uint64_t>> times_;  // "<kind>:<actor id>"
};

// Values of field `id` on `event`. `organization` is init_config's.
std::optional<plugin_kit::Values> extract_okta_field(uint32_t id, const plugin_kit::json& event,
                                                     const plugin_kit::FieldArg& arg, uint64_t ts,
                                                     const std::string& organization, const MfaWindow& mfa);

}  // namespace kestrel::okta
