#include "plugins/github/github_fields.h"

#include <set>
#include <string>
#include <string_view>

namespace kestrel::github {
namespace {

using plugin_kit::at;
using plugin_kit::FieldKind;
using plugin_kit::FieldSpec;
using plugin_kit::json;
using plugin_kit::value_at;
using plugin_kit::Values;

constexpr FieldKind S = FieldKind::kString;

const std::vector<FieldSpec> kFields = {
    {"github.type", S, false, {}, false, "the delivery's event (X-GitHub-Event: push, repository, member, ping, ...)"},
    {"github.action", S, false, {}, false, "the payload's action, qualifying github.type (created, deleted, publicized, ...)"},
    {"github.user", S, false, {}, false, "who triggered the event (sender.login)"},
    {"github.repo", S, false, {}, false, "(deprecated) the repository's URL, as github.repo.url"},
    {"github.repo.url", S, false, {}, false, "the repository's URL (repository.html_url)"},
    {"github.repo.name", S, false, {}, false, "the repository's owner/name"},
    {"github.repo.description", S, false, {}, false, "repository.description"},
    {"github.org", S, false, {}, false, "the organization (organization.login)"},
    {"github.owner", S, false, {}, false, "the repository's owner (repository.owner.login)"},
    {"github.repo.public", S, false, {}, false, "'true' when the repository is public, 'false' when private"},
    {"github.collaborator.name", S, false, {}, false, "the member added or removed (member.login)"},
    {"github.collaborator.role", S, false, {}, false, "the member's new permission (changes.permission.to)"},
    {"github.webhook.id", S, false, {}, false, "the webhook's id (hook.id)"},
    {"github.webhook.type", S, false, {}, false, "the webhook's type (hook.type: Repository, Organization, ...)"},
    {"github.commit.added", S, false, {}, false, "files a push added, comma-separated"},
    {"github.commit.modified", S, false, {}, false, "files a push modified, comma-separated"},
    {"github.commit.removed", S, false, {}, false, "files a push removed, comma-separated"},
    {"github.diff.has_secrets", S, false, {}, false, "for a scanned push, 'true' when a commit adds a secret"},
    {"github.diff.committed_secrets.desc", S, false, {}, false, "the type of each committed secret, comma-separated"},
    {"github.diff.committed_secrets.files", S, false, {}, false, "the file of each committed secret, comma-separated"},
    {"github.diff.committed_secrets.lines", S, false, {}, false, "the line of each committed secret, comma-separated"},
    {"github.diff.committed_secrets.links", S, false, {}, false, "a link to each committed secret, comma-separated"},
    {"github.workflow.has_miners", S, false, {}, false, "for a scanned workflow_run, 'true' when its workflow runs a miner"},
    {"github.workflow.miners.type", S, false, {}, false, "the kinds of miner found, comma-separated"},
    {"github.workflow.filename", S, false, {}, false, "the workflow definition file (workflow.path)"},
};

std::string str(const json& j, std::initializer_list<std::string_view> keys) {
  const json* v = at(j, keys);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

std::optional<Values> joined(const std::vector<std::string>& items) { 
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return Values{out};
}

std::optional<Values> commit_files(const json& e, const char* key) {
  const json* commits = at(e, {"commits"});
  if (!commits || !commits->is_array()) return std::nullopt;
  std::vector<std::string> files;
  for (const auto& c : *commits)
    if (const json* list = at(c, {key}); list && list->is_array())
      for (const auto& f : *list)
        if (f.is_string()) files.push_back(f.get<std::string>());
  return joined(files);
}

// Each secret match, in file order: what `pick` makes of (file, match).
template <typename Fn>
std::optional<Values> secrets(const json& e, Fn pick) {
  const json* files = at(e, {"files"});
  if (!files || !files->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& f : *files)
    if (const json* matches = at(f, {"matches"}); matches && matches->is_array())
      for (const auto& m : *matches) out.push_back(pick(f, m));
  return joined(out);
}

std::string line_of(const json& m) {
  const json* l = at(m, {"line"});
  return l && l->is_number() ? l->dump() : std::string("0");
}

}  // namespace

const std::vector<FieldSpec>& github_fields() { return kFields; }

std::optional<Values> extract_github_field(uint32_t id, const json& e) {
  if (id >= kFields.size() || !e.is_object()) return std::nullopt;
  const std::string_view n = kFields[id].name;
  if (n == "github.type") return value_at(e, {"webhook_type"});
  if (n == "github.action") return value_at(e, {"action"});
  if (n == "github.user") return value_at(e, {"sender", "login"});
  if (n == "github.repo" || n == "github.repo.url") return value_at(e, {"repository", "html_url"});
  if (n == "github.repo.name") {
    if (auto full = value_at(e, {"repository", "full_name"})) return full;
    std::string url = str(e, {"repository", "html_url"});
    constexpr std::string_view kGithub = "https://github.com/";
    if (url.empty()) return std::nullopt;
    if (std::string_view(url).starts_with(kGithub)) url = url.substr(kGithub.size());
    return Values{url};
  }
  if (n == "github.repo.description") return value_at(e, {"repository", "description"});
  if (n == "github.org") return value_at(e, {"organization", "login"});
  if (n == "github.owner") return value_at(e, {"repository", "owner", "login"});
  if (n == "github.repo.public") {
    const json* repo = at(e, {"repository"});
    if (!repo || !repo->is_object()) return std::nullopt;
    const json* priv = at(*repo, {"private"});
    return Values{priv && priv->is_boolean() && priv->get<bool>() ? "false" : "true"};
  }
  if (n == "github.collaborator.name") return value_at(e, {"member", "login"});
  if (n == "github.collaborator.role") return value_at(e, {"changes", "permission", "to"});
  if (n == "github.webhook.id") return value_at(e, {"hook", "id"});
  if (n == "github.webhook.type") return value_at(e, {"hook", "type"});
  if (n == "github.commit.added") return commit_files(e, "added");
  if (n == "github.commit.modified") return commit_files(e, "modified");
  if (n == "github.commit.removed") return commit_files(e, "removed");
  if (n == "github.diff.has_secrets") {
    auto any = secrets(e, [](const json&, const json&) { return std::string("x"); });
    if (!any) return std::nullopt;
    return Values{(*any)[0].empty() ? "false" : "true"};
  }
  if (n == "github.diff.committed_secrets.desc")
    return secrets(e, [](const json&, const json& m) { return str(m, {"desc"}); });
  if (n == "github.diff.committed_secrets.files")
    return secrets(e, [](const json& f, const json&) { return str(f, {"name"}); });
  if (n == "github.diff.committed_secrets.lines") return secrets(e, [](const json&, const json& m) { return line_of(m); });
  if (n == "github.diff.committed_secrets.links") {
    const std::string repo = str(e, {"repository", "html_url"});
    const std::string head = str(e, {"head_commit", "id"});
    return secrets(e, [&](const json& f, const json& m) {
      return repo + "/blob/" + head + "/" + str(f, {"name"}) + "#L" + line_of(m);
    });
  }
  if (n == "github.workflow.has_miners" || n == "github.workflow.miners.type") {
    const json* matches = at(e, {"workflow_miner_detections", "matches"});
    if (!matches || !matches->is_array()) return std::nullopt;
    if (n == "github.workflow.has_miners") return Values{matches->empty() ? "false" : "true"};
    std::set<std::string> types;
    for (const auto& m : *matches) types.insert(str(m, {"type"}));
    return joined(std::vector<std::string>(types.begin(), types.end()));
  }
  if (n == "github.workflow.filename") return value_at(e, {"workflow", "path"});
  return std::nullopt;
}

}  // namespace kestrel::github
