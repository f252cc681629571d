// engine/cli/tokens.h
// `doorstep token add|list|revoke`: manage API bearer tokens in <data_dir>/tokens.json.
// Only SHA-256 hashes are stored; `add` prints the token once.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "config/loader.h"

namespace doorstep::cli {

struct token_options {
  std::string action;  // add | list | revoke
  std::string name;
  std::string role;
  std::string scope = "*";
  std::string unit_id;
  std::string token;  // add: use this value instead of a random one (demo, tests)
};

std::filesystem::path tokens_file(const std::filesystem::path& data_dir);

// Returns the exit code (0 ok, 2 bad input).
int run_tokens(const config::loaded_config& cfg, const std::filesystem::path& data_dir, const token_options& opts,
               std::ostream& out, std::ostream& err);

}  // namespace doorstep::cli
