#include "plugins/github/github_scan.h"

#include <charconv>
#include <map>
#include <regex>

namespace kestrel::github {
namespace {

struct Pattern {
  const char* desc;
  std::regex re;
};

// Token formats as their issuers publish them.
const std::vector<Pattern>& secret_patterns() {
  static const std::vector<Pattern> kPatterns = [] {
    std::vector<std::pair<const char*, const char*>> src = {
        {"aws_access_key", R"((^|[^A-Z0-9])(AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}([^A-Z0-9]|$))"},
        {"aws_secret_key", R"(aws.{0,20}(secret|private).{0,20}['"=:\s][0-9a-zA-Z/+]{40}([^0-9a-zA-Z/+]|$))"},
        {"aws_mws_key", R"(amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"},
        {"github_personal_access_token", R"(ghp_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{82})"},
        {"github_oauth_access_token", R"(gho_[0-9A-Za-z]{36})"},
        {"github_app_token", R"((ghu|ghs)_[0-9A-Za-z]{36})"},
        {"github_refresh_token", R"(ghr_[0-9A-Za-z]{76})"},
        {"slack", R"(xox[baprs]-[0-9A-Za-z-]{10,72})"},
        {"slack_webhook", R"(https://hooks\.slack\.com/services/T[0-9A-Za-z_]{8,}/B[0-9A-Za-z_]{8,}/[0-9A-Za-z_]{24})"},
        {"asymmetric_private_key", R"(-----BEGIN (RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY( BLOCK)?-----)"},
        {"google_api_key", R"(AIza[0-9A-Za-z_-]{35})"},
        {"google_gcp_service_account", R"("type"\s*:\s*"service_account")"},
        {"stripe_api_key", R"((sk|rk)_live_[0-9a-zA-Z]{24,99})"},
        {"sendgrid_api_key", R"(SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43})"},
        {"mailchimp_api_key", R"([0-9a-f]{32}-us[0-9]{1,2})"},
        {"mailgun_api_key", R"(key-[0-9a-zA-Z]{32})"},
        {"twilio_api_key", R"(SK[0-9a-fA-F]{32})"},
        {"square_access_token", R"(sq0atp-[0-9A-Za-z_-]{22}|EAAA[0-9A-Za-z_-]{60})"},
        {"square_oauth_secret", R"(sq0csp-[0-9A-Za-z_-]{43})"},
        {"paypal_braintree_access_token", R"(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})"},
        {"picatic_api_key", R"(sk_live_[0-9a-z]{32})"},
        {"dynatrace_token", R"(dt0c01\.[0-9A-Z]{24}\.[0-9A-Z]{64})"},
        {"shopify_shared_secret", R"(shpss_[0-9a-fA-F]{32})"},
        {"shopify_access_token", R"(shpat_[0-9a-fA-F]{32})"},
        {"shopify_custom_app_access_token", R"(shpca_[0-9a-fA-F]{32})"},
        {"shopify_private_app_access_token", R"(shppa_[0-9a-fA-F]{32})"},
        {"pypi_upload_token", R"(pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,})"},
        {"facebook_secret_key", R"((facebook|fb).{0,20}['"=:\s][0-9a-f]{32}([^0-9a-f]|$))"},
        {"twitter_secret_key", R"(twitter.{0,20}['"=:\s][0-9a-zA-Z]{35,44}([^0-9a-zA-Z]|$))"},
        {"linkedin_secret_key", R"(linkedin.{0,20}['"=:\s][0-9a-zA-Z]{16}([^0-9a-zA-Z]|$))"},
        {"heroku_api_key", R"(heroku.{0,20}['"=:\s][0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"},
    };
    std::vector<Pattern> out;
    for (auto& [desc, re] : src) out.push_back({desc, std::regex(re, std::regex::ECMAScript | std::regex::optimize)});
    return out;
  }();
  return kPatterns;
}

// Miner binaries and the stratum pool protocol, by the names they go by.
const std::vector<std::pair<const char*, std::regex>>& miner_patterns() {
  static const std::vector<std::pair<const char*, std::regex>> kPatterns = [] {
    std::vector<std::pair<const char*, const char*>> src = {
        {"xmrig", R"(\bxmrig\b)"},       {"stratum", R"(stratum\+(tcp|ssl|tls)://)"},
        {"xmr-stak", R"(\bxmr-stak)"},   {"cpuminer", R"(\bcpuminer\b|\bminerd\b)"},
        {"ethminer", R"(\bethminer\b)"}, {"nbminer", R"(\bnbminer\b)"},
        {"t-rex", R"(\bt-rex\b)"},       {"lolminer", R"(\blolminer\b)"},
        {"phoenixminer", R"(\bphoenixminer\b)"}, {"cgminer", R"(\bcgminer\b|\bbfgminer\b)"},
        {"nanominer", R"(\bnanominer\b)"},
    };
    std::vector<std::pair<const char*, std::regex>> out;
    for (auto& [type, re] : src)
      out.emplace_back(type, std::regex(re, std::regex::ECMAScript | std::regex::icase | std::regex::optimize));
    return out;
  }();
  return kPatterns;
}

// The new-file start line of a hunk header "@@ -a[,b] +c[,d] @@".
uint64_t hunk_start(std::string_view line) {
  const size_t plus = line.find(" +");
  if (plus == std::string_view::npos) return 0;
  uint64_t n = 0;
  auto parsed = std::from_chars(line.data() + plus + 2, line.data() + line.size(), n);
  return parsed.ec == std::errc() ? n : 0;
}

}  // namespace

std::vector<std::string> secret_types() {
  std::vector<std::string> out;
  for (const auto& p : secret_patterns()) out.push_back(p.desc);
  return out;
}

std::vector<SecretMatch> scan_diff(std::string_view diff) {
  std::vector<SecretMatch> out;
  std::string file;
  uint64_t line = 0;  // the new file's number of the next '+' or ' ' line
  while (!diff.empty()) {
    const size_t nl = diff.find('\n');
    std::string_view l = diff.substr(0, nl);
    diff.remove_prefix(nl == std::string_view::npos ? diff.size() : nl + 1);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.starts_with("+++ ")) {
      std::string_view name = l.substr(4);
      if (name.starts_with("b/")) name.remove_prefix(2);
      file = std::string(name);
      continue;
    }
    if (l.starts_with("@@")) {
      line = hunk_start(l);
      continue;
    }
    if (l.starts_with("diff --git") || l.starts_with("--- ")) continue;
    if (l.starts_with("+")) {
      const std::string added(l.substr(1));
      for (const auto& p : secret_patterns())
        if (std::regex_search(added, p.re)) out.push_back({file, line, p.desc});
      ++line;
    } else if (l.starts_with(" ")) {
      ++line;
    }
  }
  return out;
}

std::vector<MinerMatch> scan_workflow(std::string_view yaml) {
  std::vector<MinerMatch> out;
  uint64_t line = 0;
  while (!yaml.empty()) {
    const size_t nl = yaml.find('\n');
    const std::string l(yaml.substr(0, nl));
    yaml.remove_prefix(nl == std::string_view::npos ? yaml.size() : nl + 1);
    ++line;
    for (const auto& [type, re] : miner_patterns())
      if (std::regex_search(l, re)) out.push_back({type, line});
  }
  return out;
}

void add_secret_matches(nlohmann::json& event, const std::vector<SecretMatch>& matches) {
  std::map<std::string, nlohmann::json> by_file;
  for (const auto& m : matches) by_file[m.file].push_back({{"desc", m.desc}, {"line", m.line}});
  nlohmann::json files = nlohmann::json::array();
  for (auto& [name, list] : by_file) files.push_back({{"name", name}, {"matches", std::move(list)}});
  event["files"] = std::move(files);
}

void add_miner_matches(nlohmann::json& event, const std::vector<MinerMatch>& matches) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : matches) list.push_back({{"type", m.type}, {"line", m.line}});
  event["workflow_miner_detections"] = {{"matches", std::move(list)}};
}

}  // namespace kestrel::github
