#include "api/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace doorstep::api {
namespace json = boost::json;

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string new_token() {
  unsigned char bytes[20];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a token");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "ds_";
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string command_id(std::string_view prefix) {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
      throw std::runtime_error("no randomness for command ids");
    }
    return seed;
  }();
  // splitmix64: distinct states give distinct outputs, so a thread repeats no id.
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(z >> shift) & 15];
  return out;
}

result<token_store> token_store::load(const std::filesystem::path& file) {
  token_store s;
  std::ifstream in(file);
  if (!in) return s;
  std::stringstream buf;
  buf << in.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(buf.str(), ec);
  if (ec || !v.is_object() || !v.as_object().contains("tokens") || !v.at("tokens").is_array()) {
    return make_error("tokens_file", file.string() + " is not a Doorstep token file");
  }
  for (const auto& t : v.at("tokens").as_array()) {
    if (!t.is_object()) return make_error("tokens_file", file.string() + " holds a malformed token");
    const auto& o = t.as_object();
    token_record r;
    auto str = [&](const char* k) {
      auto it = o.find(k);
      return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string{};
    };
    r.hash = str("sha256");
    r.name = str("name");
    auto who = parse_role(str("role"));
    r.scope = str("scope");
    r.unit_id = str("unit_id");
    if (r.hash.size() != 64 || r.name.empty() || !who || r.scope.empty()) {
      return make_error("tokens_file", file.string() + " holds a malformed token '" + r.name + "'");
    }
    r.who = *who;
    s.records_.push_back(std::move(r));
  }
  return s;
}

status_result token_store::save(const std::filesystem::path& file) const {
  json::array arr;
  for (const auto& r : records_) {
    arr.push_back(json::object{{"name", r.name},
                               {"role", std::string(to_string(r.who))},
                               {"scope", r.scope},
                               {"unit_id", r.unit_id},
                               {"sha256", r.hash}});
  }
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return make_error("tokens_file", "cannot write " + tmp);
    out << json::serialize(json::object{{"tokens", arr}}) << "\n";
    if (!out.flush()) return make_error("tokens_file", "cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return make_error("tokens_file", "cannot replace " + file.string() + ": " + ec.message());
  return ok_v;
}

status_result token_store::add(token_record r, const std::string& token) {
  for (const auto& x : records_) {
    if (x.name == r.name) return make_error("invalid_field", "a token named '" + r.name + "' exists", "name");
  }
  r.hash = sha256_hex(token);
  records_.push_back(std::move(r));
  return ok_v;
}

bool token_store::revoke(const std::string& name) {
  const auto before = records_.size();
  std::erase_if(records_, [&](const token_record& r) { return r.name == name; });
  return records_.size() != before;
}

const token_record* token_store::find(std::string_view token) const {
  if (token.empty()) return nullptr;
  const auto h = sha256_hex(token);
  for (const auto& r : records_) {
    if (r.hash == h) return &r;
  }
  return nullptr;
}

bool sees_everywhere(const token_record& t) { return t.scope == "*"; }

bool in_scope(const token_record& t, const std::string& jurisdiction_id, const routing::jurisdiction_tree& tree) {
  return sees_everywhere(t) || tree.in_subtree(jurisdiction_id, t.scope);
}

namespace {

// Which roles may run which action. Handlers additionally act only on their unit's tickets.
const std::map<std::string_view, std::set<role>>& action_roles() {
  using r = role;
  static const std::map<std::string_view, std::set<role>> m{
      {"submit", {r::operator_, r::integration, r::admin}},
      {"triage", {r::operator_, r::supervisor, r::admin}},
      {"dispatch", {r::operator_, r::supervisor, r::admin}},
      {"accept", {r::handler, r::integration, r::admin}},
      {"contact", {r::handler, r::integration, r::admin}},
      {"note", {r::operator_, r::handler, r::supervisor, r::integration, r::admin}},
      {"resolve", {r::handler, r::integration, r::admin}},
      {"verify", {r::handler, r::supervisor, r::admin}},
      {"rate", {r::operator_, r::integration, r::admin}},
      {"escalate", {r::handler, r::supervisor, r::admin}},
      {"return", {r::handler, r::admin}},
      {"suspend", {r::handler, r::supervisor, r::admin}},
      {"resume", {r::handler, r::supervisor, r::admin}},
      {"merge", {r::supervisor, r::admin}},
      {"cancel", {r::operator_, r::supervisor, r::admin}},
      {"reopen", {r::operator_, r::supervisor, r::integration, r::admin}},
  };
  return m;
}

}  // namespace

bool role_may(role who, std::string_view action) {
  auto it = action_roles().find(action);
  return it != action_roles().end() && it->second.count(who) > 0;
}

std::optional<error> authorize_action(const token_record& t, std::string_view action, const ticket& tk,
                                      const routing::jurisdiction_tree& tree) {
  if (!role_may(t.who, action)) {
    return make_error("forbidden", "role " + std::string(to_string(t.who)) + " may not " + std::string(action));
  }
  if (!in_scope(t, tk.jurisdiction_id, tree)) {
    return make_error("forbidden", "ticket " + tk.id + " is outside the token's scope " + t.scope);
  }
  if (t.who == role::handler && tk.unit_id != t.unit_id) {
    return make_error("forbidden", "ticket " + tk.id + " is dispatched to " + tk.unit_id + ", not to " + t.unit_id);
  }
  return std::nullopt;
}

bool sees_pii(const token_record& t, const ticket& tk) {
  switch (t.who) {
    case role::operator_:
    case role::admin:
      return true;
    case role::handler:
      return tk.unit_id == t.unit_id;
    default:
      return false;
  }
}

std::string mask_phone(const std::string& phone) {
  if (phone.size() < 7) return std::string(phone.size(), '*');
  return phone.substr(0, 3) + std::string(phone.size() - 7, '*') + phone.substr(phone.size() - 4);
}

std::string mask_name(const std::string& name) {
  if (name.empty()) return name;
  // Keep the first UTF-8 character (the family name), mask the rest per character.
  std::size_t first = 1;
  const auto c = static_cast<unsigned char>(name[0]);
  if (c >= 0xF0) first = 4;
  else if (c >= 0xE0) first = 3;
  else if (c >= 0xC0) first = 2;
  std::size_t rest = 0;
  for (std::size_t i = first; i < name.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80) ++rest;
  }
  return name.substr(0, std::min(first, name.size())) + std::string(rest, '*');
}

}  // namespace doorstep::api
