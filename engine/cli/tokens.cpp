#include "cli/tokens.h"

#include "api/auth.h"

namespace doorstep::cli {

std::filesystem::path tokens_file(const std::filesystem::path& data_dir) { return data_dir / "tokens.json"; }

int run_tokens(const config::loaded_config& cfg, const std::filesystem::path& data_dir, const token_options& opts,
               std::ostream& out, std::ostream& err) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const auto file = tokens_file(data_dir);
  auto store = api::token_store::load(file);
  if (!store) {
    err << "token: " << store.err().message << "\n";
    return 2;
  }
  if (opts.action == "list") {
    for (const auto& r : store->records()) {
      out << r.name << "\t" << to_string(r.who) << "\tscope=" << r.scope
          << (r.unit_id.empty() ? "" : "\tunit=" + r.unit_id) << "\tsha256=" << r.hash.substr(0, 12) << "…\n";
    }
    return 0;
  }
  if (opts.action == "revoke") {
    if (!store->revoke(opts.name)) {
      err << "token: no token named '" << opts.name << "'\n";
      return 2;
    }
  } else {
    api::token_record r;
    auto who = parse_role(opts.role);
    if (!who || *who == role::resident || *who == role::system) {
      err << "token: --role must be operator, handler, supervisor, integration or admin\n";
      return 2;
    }
    r.who = *who;
    r.name = opts.name;
    r.scope = opts.scope;
    r.unit_id = opts.unit_id;
    const auto& tree = cfg.rules->tree();
    if (r.scope != "*" && !tree.find(r.scope)) {
      err << "token: --scope '" << r.scope << "' is not a place in the configuration\n";
      return 2;
    }
    if (r.who == role::handler) {
      const auto* u = tree.find_unit(r.unit_id);
      if (!u) {
        err << "token: a handler token needs --unit, the id of a configured unit\n";
        return 2;
      }
    } else if (!r.unit_id.empty()) {
      err << "token: --unit is only for handler tokens\n";
      return 2;
    }
    const auto token = opts.token.empty() ? api::new_token() : opts.token;
    if (auto added = store->add(r, token); !added) {
      err << "token: " << added.err().message << "\n";
      return 2;
    }
    out << token << "\n";
  }
  if (auto saved = store->save(file); !saved) {
    err << "token: " << saved.err().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace doorstep::cli
