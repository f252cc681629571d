#include "support/test_support.h"

#include <atomic>
#include <random>

namespace doorstep::testing {

const config::loaded_config& demo_config() {
  static const config::loaded_config cfg = config::load(std::string(DOORSTEP_SOURCE_DIR) + "/config/doorstep.yaml");
  return cfg;
}

temp_dir::temp_dir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("doorstep-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

instant at(int year, unsigned month, unsigned day, int hour, int minute) {
  const auto days = days_from_civil(year, month, day);
  return from_millis(((days * 24 + hour) * 60 + minute) * 60000LL - kShanghaiOffsetMinutes * 60000LL);
}

command submit(const std::string& place, const std::string& category, const std::string& source_id,
               const std::string& description) {
  command c;
  c.id = "cmd-" + source_id;
  c.by = actor{role::operator_, "op-1"};
  appeal a;
  a.via = channel::hotline;
  a.category = category;
  a.description = description;
  a.jurisdiction_id = place;
  a.resident = {"王秀英", "13812345678"};
  a.source_id = source_id;
  c.body = submit_cmd{a};
  return c;
}

command action(const std::string& ticket_id, command_body body, role who) {
  static std::atomic<int> counter{0};
  command c;
  c.id = "act-" + std::to_string(counter++);
  c.ticket_id = ticket_id;
  c.by = actor{who, "tester"};
  c.body = std::move(body);
  return c;
}

}  // namespace doorstep::testing
