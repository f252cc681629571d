#include "config/yaml_reader.h"

#include <algorithm>
#include <fstream>

#include "domain/utf8.h"

namespace doorstep::config {

void ynode::fail(const std::string& what) const {
  const auto mark = node_.Mark();
  std::string where = file_;
  if (!mark.is_null()) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  throw config_error(where + ": " + (path_.empty() ? "" : path_ + ": ") + what);
}

ynode ynode::at(const std::string& key) const {
  if (!node_.IsMap()) fail("must be a mapping");
  YAML::Node child = node_[key];
  if (!child || child.IsNull()) fail("missing required field '" + key + "'");
  return ynode(child, file_, path_.empty() ? key : path_ + "." + key);
}

std::optional<ynode> ynode::get(const std::string& key) const {
  if (!node_.IsMap()) fail("must be a mapping");
  YAML::Node child = node_[key];
  if (!child || child.IsNull()) return std::nullopt;
  return ynode(child, file_, path_.empty() ? key : path_ + "." + key);
}

std::vector<ynode> ynode::items() const {
  if (!node_.IsSequence()) fail("must be a list");
  std::vector<ynode> out;
  for (std::size_t i = 0; i < node_.size(); ++i) {
    out.emplace_back(node_[i], file_, path_ + "[" + std::to_string(i) + "]");
  }
  return out;
}

std::vector<std::string> ynode::keys() const {
  if (!node_.IsMap()) fail("must be a mapping");
  std::vector<std::string> out;
  for (const auto& kv : node_) out.push_back(kv.first.as<std::string>());
  return out;
}

std::string ynode::str() const {
  if (!node_.IsScalar()) fail("must be a text value");
  auto s = node_.as<std::string>();
  if (!is_valid_utf8(s)) fail("is not valid UTF-8");
  return s;
}

std::string ynode::id() const {
  auto s = str();
  const bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!ok) fail("'" + s + "' is not a valid id (lowercase letters, digits, '_' and '-')");
  return s;
}

long ynode::integer(long min, long max) const {
  long v = 0;
  try {
    v = node_.as<long>();
  } catch (const YAML::Exception&) {
    fail("must be an integer");
  }
  if (v < min || v > max) fail("must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

double ynode::number() const {
  try {
    return node_.as<double>();
  } catch (const YAML::Exception&) {
    fail("must be a number");
  }
}

bool ynode::boolean() const {
  try {
    return node_.as<bool>();
  } catch (const YAML::Exception&) {
    fail("must be true or false");
  }
}

duration ynode::time_span() const {
  auto s = str();
  auto d = parse_duration(s);
  if (!d || d->count() <= 0) fail("'" + s + "' is not a positive duration (e.g. 15m, 2h, 7d)");
  return *d;
}

std::vector<std::string> ynode::strings() const {
  if (node_.IsScalar()) return {str()};
  std::vector<std::string> out;
  for (const auto& item : items()) out.push_back(item.str());
  return out;
}

void ynode::only_keys(std::initializer_list<const char*> allowed) const {
  if (!node_.IsMap()) fail("must be a mapping");
  for (const auto& kv : node_) {
    const auto key = kv.first.as<std::string>();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      ynode(kv.first, file_, path_).fail("unknown field '" + key + "' (allowed: " + list + ")");
    }
  }
}

ynode load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config_error(path + ": cannot open file");
  try {
    return ynode(YAML::Load(in), path, "");
  } catch (const YAML::ParserException& e) {
    throw config_error(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                       ": YAML syntax error: " + e.msg);
  }
}

}  // namespace doorstep::config
