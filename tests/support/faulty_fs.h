// tests/support/faulty_fs.h
// A RocksDB file system that passes every call to the machine's own until a test
// switches on a fault: reads of table files fail, writes (appends and syncs) of any
// file fail, or only syncs do (the data reached the OS, the disk refused it), as a
// failing disk would answer. The store's error paths run against a real
// database on disk; nothing is mocked but the disk's answer.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <atomic>
#include <memory>

namespace doorstep::testing {

class faulty_fs : public rocksdb::FileSystemWrapper {
 public:
  faulty_fs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  static const char* kClassName() { return "DoorstepFaultyFileSystem"; }
  const char* Name() const override { return kClassName(); }

  std::atomic<bool> fail_reads{false};
  std::atomic<bool> fail_writes{false};
  std::atomic<bool> fail_syncs{false};
  mutable std::atomic<std::uint64_t> failed{0};  // faults answered so far

  rocksdb::IOStatus NewRandomAccessFile(const std::string& name, const rocksdb::FileOptions& opts,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* out,
                                        rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewRandomAccessFile(name, opts, out, dbg);
    if (s.ok()) *out = std::make_unique<reader>(std::move(*out), *this);
    return s;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* out,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(name, opts, out, dbg);
    if (s.ok()) *out = std::make_unique<writer>(std::move(*out), *this);
    return s;
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& opts,
                                       std::unique_ptr<rocksdb::FSWritableFile>* out,
                                       rocksdb::IODebugContext* dbg) override {
    auto s = target()->ReopenWritableFile(name, opts, out, dbg);
    if (s.ok()) *out = std::make_unique<writer>(std::move(*out), *this);
    return s;
  }

  // An Env over this file system, for rocksdb::Options::env; it must outlive the database.
  static std::unique_ptr<rocksdb::Env> env_over(const std::shared_ptr<faulty_fs>& fs) {
    return rocksdb::NewCompositeEnv(fs);
  }

  // Makes every read of a data block reach the file system: no block cache between.
  static void without_block_cache(rocksdb::Options& o) {
    rocksdb::BlockBasedTableOptions table;
    table.no_block_cache = true;
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }

 private:
  rocksdb::IOStatus read_fault() const {
    if (!fail_reads) return rocksdb::IOStatus::OK();
    ++failed;
    return rocksdb::IOStatus::IOError("injected read fault");
  }
  rocksdb::IOStatus write_fault() {
    if (!fail_writes) return rocksdb::IOStatus::OK();
    ++failed;
    return rocksdb::IOStatus::IOError("injected write fault");
  }
  rocksdb::IOStatus sync_fault() {
    if (auto s = write_fault(); !s.ok() || !fail_syncs) return s;
    ++failed;
    return rocksdb::IOStatus::IOError("injected sync fault");
  }

  class reader : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    reader(std::unique_ptr<rocksdb::FSRandomAccessFile> f, const faulty_fs& fs)
        : FSRandomAccessFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Read(std::uint64_t offset, std::size_t n, const rocksdb::IOOptions& opts, rocksdb::Slice* result,
                           char* scratch, rocksdb::IODebugContext* dbg) const override {
      if (auto s = fs_.read_fault(); !s.ok()) return s;
      return target()->Read(offset, n, opts, result, scratch, dbg);
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, std::size_t n, const rocksdb::IOOptions& opts,
                                rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_.read_fault(); !s.ok()) {
        for (std::size_t i = 0; i < n; ++i) reqs[i].status = s;
        return s;
      }
      return target()->MultiRead(reqs, n, opts, dbg);
    }

   private:
    const faulty_fs& fs_;
  };

  class writer : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    writer(std::unique_ptr<rocksdb::FSWritableFile> f, faulty_fs& fs)
        : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& opts,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_.write_fault(); !s.ok()) return s;
      return target()->Append(data, opts, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& opts,
                             const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_.write_fault(); !s.ok()) return s;
      return target()->Append(data, opts, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& opts, rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_.sync_fault(); !s.ok()) return s;
      return target()->Sync(opts, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& opts, rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_.sync_fault(); !s.ok()) return s;
      return target()->Fsync(opts, dbg);
    }

   private:
    faulty_fs& fs_;
  };
};

}  // namespace doorstep::testing
