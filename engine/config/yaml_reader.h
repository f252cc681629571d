// engine/config/yaml_reader.h
// Typed access to YAML nodes that reports every problem as
// "<file>:<line>:<column>: <field path>: <what is wrong>". Used at startup only, so
// errors are exceptions (config_error), caught in main.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/time.h"

namespace doorstep::config {

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A YAML node together with where it came from.
class ynode {
 public:
  ynode(YAML::Node node, std::string file, std::string path)
      : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

  const YAML::Node& raw() const { return node_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool has(const std::string& key) const { return node_.IsMap() && node_[key] && !node_[key].IsNull(); }

  // Child by key; throws if absent.
  ynode at(const std::string& key) const;
  // Child by key, or nullopt.
  std::optional<ynode> get(const std::string& key) const;
  // Elements of a sequence (throws if not a sequence).
  std::vector<ynode> items() const;
  // Keys of a map in document order (throws if not a map).
  std::vector<std::string> keys() const;

  std::string str() const;
  std::string id() const;  // [a-z0-9_-]+
  long integer(long min, long max) const;
  double number() const;
  bool boolean() const;
  duration time_span() const;  // "2h", "15m", "3d", ISO 8601
  std::vector<std::string> strings() const;  // a sequence of scalars (or one scalar)

  // Rejects keys other than `allowed` (catches typos such as "sla_polcy").
  void only_keys(std::initializer_list<const char*> allowed) const;

  [[noreturn]] void fail(const std::string& what) const;

 private:
  YAML::Node node_;
  std::string file_;
  std::string path_;
};

// Loads a YAML file; throws config_error naming the file and line on syntax errors.
ynode load_file(const std::string& path);

}  // namespace doorstep::config
