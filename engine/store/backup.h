// engine/store/backup.h
// Backups of a data directory, online or of a stopped store. A backup is itself a data
// directory: `store/` is a RocksDB checkpoint (the memtable is flushed first, so every
// committed command is in it; table files are hard-linked when the target is on the
// same filesystem, copied otherwise) and the small files beside the store (tokens.json)
// are copied. It is written under "<target>.partial" and renamed into place, so a
// backup directory that exists is complete. Restore = put it where the data directory
// was (docs/operations.md); `doorstep fsck --data <backup>` checks it in place.
#pragma once

#include <filesystem>
#include <vector>

#include "domain/time.h"
#include "store/store.h"

namespace doorstep::store {

// Writes a backup of `s` to `target`, which must not exist yet (its parent is created).
// `extra_files` that exist are copied into it by name; missing ones are skipped.
// Errors: already_exists (target exists), storage (checkpoint or file copy failed; the
// partial directory is removed). Any thread; runs concurrently with commits. Cost: a
// memtable flush plus links (or copies) of the table files.
[[nodiscard]] status_result write_backup(const store& s, const std::filesystem::path& target,
                                         const std::vector<std::filesystem::path>& extra_files);

// A fresh backup path under `dir` named after the wall time `now` in Beijing time:
// <dir>/doorstep-20260302-170005-123, with -2, -3 ... appended if that name is taken.
std::filesystem::path next_backup_path(const std::filesystem::path& dir, instant now);

}  // namespace doorstep::store
