// engine/api/auth.h
// Bearer tokens: each has a role, a jurisdiction scope (a subtree of the place tree, or
// "*") and, for handlers, the unit they act for. Only SHA-256 hashes are stored (in
// <data_dir>/tokens.json); the token itself is shown once, when created.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/result.h"
#include "domain/ticket.h"
#include "routing/jurisdictions.h"

namespace doorstep::api {

struct token_record {
  std::string hash;     // hex SHA-256 of the token
  std::string name;     // who holds it (unique)
  role who = role::operator_;
  std::string scope = "*";  // jurisdiction subtree root, or "*"
  std::string unit_id;      // handlers only
};

std::string sha256_hex(std::string_view data);
// A fresh random token: "ds_" + 40 hex characters.
std::string new_token();
// An id for a command whose request named none: `prefix` and 16 hex digits. Unique (a
// per-thread 64-bit sequence through a bijective mix, seeded once from the system's
// randomness), cheap, and not a secret: tokens come from new_token().
std::string command_id(std::string_view prefix);

class token_store {
 public:
  // Loads the file; a missing file is an empty store. Errors: tokens_file.
  [[nodiscard]] static result<token_store> load(const std::filesystem::path& file);
  [[nodiscard]] status_result save(const std::filesystem::path& file) const;

  // Adds a token for `r` (hash computed from `token`). Errors: invalid_field (duplicate name).
  [[nodiscard]] status_result add(token_record r, const std::string& token);
  bool revoke(const std::string& name);
  const std::vector<token_record>& records() const { return records_; }

  // The record of a presented bearer token, if it is known.
  const token_record* find(std::string_view token) const;

 private:
  std::vector<token_record> records_;
};

// What an authenticated caller may do. Pure functions over the record.
bool in_scope(const token_record& t, const std::string& jurisdiction_id, const routing::jurisdiction_tree& tree);
// The caller's scope is the whole tree ("*"): in_scope holds for every place.
bool sees_everywhere(const token_record& t);
// May a caller with role `who` run `action` (a command name) at all?
bool role_may(role who, std::string_view action);
// May `t` run `action` (a command name) on ticket `tk`? Returns an error naming why not.
std::optional<error> authorize_action(const token_record& t, std::string_view action, const ticket& tk,
                                      const routing::jurisdiction_tree& tree);
// May `t` see resident names and phones of `tk`?
bool sees_pii(const token_record& t, const ticket& tk);

// 13812345678 -> 138****5678; 王秀英 -> 王**
std::string mask_phone(const std::string& phone);
std::string mask_name(const std::string& name);

}  // namespace doorstep::api
