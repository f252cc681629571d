#include "cli/backup.h"

#include "cli/tokens.h"
#include "store/backup.h"

namespace doorstep::cli {

int run_backup(const config::loaded_config& cfg, const backup_options& opts, std::ostream& out, std::ostream& err) {
  namespace fs = std::filesystem;
  const auto data_dir = opts.data_dir.empty() ? fs::path(cfg.engine.data_dir) : opts.data_dir;
  if (opts.to.empty()) {
    err << "backup: --to DIR is required\n";
    return 2;
  }
  std::error_code ec;
  if (fs::exists(opts.to, ec)) {
    err << "backup: " << opts.to.string() << " already exists; name a new directory\n";
    return 2;
  }
  if (!fs::exists(data_dir / "store" / "CURRENT", ec)) {
    err << "backup: no store at " << (data_dir / "store").string() << "\n";
    return 2;
  }
  auto st = store::store::open(data_dir / "store",
                               store::options{cfg.engine.partitions, true, /*create_if_missing=*/false, false});
  if (!st) {
    const auto& m = st.err().message;
    err << "backup: " << m << "\n";
    if (m.find("lock") != std::string::npos) {
      err << "backup: the store is in use: is `doorstep serve` running on it? Back up a running engine with "
             "POST /api/v1/admin/backup (serve --backup-dir), or stop it first.\n";
    }
    return 2;
  }
  if (auto done = store::write_backup(**st, opts.to, {tokens_file(data_dir)}); !done) {
    err << "backup: " << done.err().message << "\n";
    return done.err().code == "already_exists" ? 2 : 1;
  }
  out << "backup: wrote " << opts.to.string() << " (store checkpoint"
      << (fs::exists(tokens_file(data_dir), ec) ? " and tokens.json" : "") << "); check it with: doorstep fsck --data "
      << opts.to.string() << "\n";
  return 0;
}

}  // namespace doorstep::cli
