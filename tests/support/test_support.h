// tests/support/test_support.h
// Shared helpers: the demo config, temporary directories, command builders.
#pragma once

#include <filesystem>
#include <string>

#include "config/loader.h"
#include "domain/command.h"

namespace doorstep::testing {

// The shipped demo configuration (config/doorstep.yaml), loaded once.
const config::loaded_config& demo_config();

// A fresh directory under the system temp dir, removed when the object dies.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// 2026-02-10T09:00:00+08:00 plus `minutes`.
instant at(int year, unsigned month, unsigned day, int hour = 0, int minute = 0);

// A submit command for a Chinese appeal at `place`.
command submit(const std::string& place, const std::string& category, const std::string& source_id,
               const std::string& description = "楼道里的灯坏了，晚上看不见路");
// An action on a ticket.
command action(const std::string& ticket_id, command_body body, role who = role::handler);

}  // namespace doorstep::testing
