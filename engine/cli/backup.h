// engine/cli/backup.h
// `doorstep backup --data DIR --to DIR`: a backup of a stopped store (a running engine
// holds the store's lock: use POST /api/v1/admin/backup instead). The result is a data
// directory like the one it came from (store checkpoint + tokens.json).
#pragma once

#include <filesystem>
#include <ostream>

#include "config/loader.h"

namespace doorstep::cli {

struct backup_options {
  std::filesystem::path data_dir;  // empty: engine.data_dir from config
  std::filesystem::path to;        // the new backup directory; must not exist
};

// Returns the exit code: 0 written, 1 the backup failed (nothing is left at `to`),
// 2 bad input or a store that cannot be opened (nothing was changed).
int run_backup(const config::loaded_config& cfg, const backup_options& opts, std::ostream& out, std::ostream& err);

}  // namespace doorstep::cli
