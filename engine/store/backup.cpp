#include "store/backup.h"

#include <cstdio>
#include <system_error>

namespace doorstep::store {
namespace {

error file_error(const std::string& what, const std::error_code& ec) {
  return make_error("storage", what + ": " + ec.message());
}

}  // namespace

status_result write_backup(const store& s, const std::filesystem::path& target,
                           const std::vector<std::filesystem::path>& extra_files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(target, ec) || fs::is_symlink(target, ec)) {
    return make_error("already_exists", "the backup directory " + target.string() + " already exists");
  }
  fs::path partial = target;
  partial += ".partial";
  fs::remove_all(partial, ec);  // left over by an interrupted backup
  if (fs::create_directories(partial, ec); ec) return file_error("cannot create " + partial.string(), ec);
  const auto fail = [&](error e) -> status_result {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    return e;
  };
  if (auto cp = s.checkpoint(partial / "store"); !cp) return fail(cp.err());
  for (const auto& f : extra_files) {
    if (!fs::exists(f, ec)) continue;
    fs::copy_file(f, partial / f.filename(), fs::copy_options::overwrite_existing, ec);
    if (ec) return fail(file_error("cannot copy " + f.string(), ec));
  }
  fs::rename(partial, target, ec);
  if (ec) return fail(file_error("cannot rename " + partial.string() + " to " + target.string(), ec));
  return ok_v;
}

std::filesystem::path next_backup_path(const std::filesystem::path& dir, instant now) {
  const auto local_ms = to_millis(now) + kShanghaiOffsetMinutes * 60000LL;
  const auto days = local_ms >= 0 ? local_ms / 86400000LL : (local_ms - 86399999LL) / 86400000LL;
  const auto d = civil_from_days(days);
  const auto in_day = local_ms - days * 86400000LL;
  char buf[64];
  std::snprintf(buf, sizeof buf, "doorstep-%04d%02u%02u-%02lld%02lld%02lld-%03lld", d.year, d.month, d.day,
                static_cast<long long>(in_day / 3600000), static_cast<long long>(in_day / 60000 % 60),
                static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
  std::filesystem::path p = dir / buf;
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(p, ec) || std::filesystem::exists(std::filesystem::path(p) += ".partial", ec);
       ++n) {
    p = dir / (std::string(buf) + "-" + std::to_string(n));
  }
  return p;
}

}  // namespace doorstep::store
