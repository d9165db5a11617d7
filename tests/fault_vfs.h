#ifndef MPOWER_TESTS_FAULT_VFS_H_
#define MPOWER_TESTS_FAULT_VFS_H_

// A SQLite VFS over the default one that counts syncs and can make every
// write fail, as a full disk (SQLITE_FULL) or a read-only medium
// (SQLITE_READONLY) would:
// the fault-injection approach of SQLite's own tests, so the real storage
// code runs unchanged. Install() makes it the default VFS for databases
// opened afterwards.

#include <sqlite3.h>

#include <atomic>
#include <cstdint>

namespace mpower::testing {

class FaultVfs {
 public:
  // Registers the VFS as the default. Idempotent.
  static void Install();
  // From now on every write, truncate and sync fails with `code`
  // (SQLITE_FULL, SQLITE_READONLY); SQLITE_OK heals the disk.
  static void FailWritesWith(int code) { fail_with_.store(code); }
  // How many times any file has been synced (fsync) since installation.
  static int64_t syncs() { return syncs_.load(); }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;  // the default VFS's file, allocated right after
  };
  static int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags);
  static int Close(sqlite3_file* file);
  static int Read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset);
  static int Write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset);
  static int Truncate(sqlite3_file* file, sqlite3_int64 size);
  static int Sync(sqlite3_file* file, int flags);
  static int FileSize(sqlite3_file* file, sqlite3_int64* size);
  static int Lock(sqlite3_file* file, int level);
  static int Unlock(sqlite3_file* file, int level);
  static int CheckReservedLock(sqlite3_file* file, int* out);
  static int FileControl(sqlite3_file* file, int op, void* arg);
  static int SectorSize(sqlite3_file* file);
  static int DeviceCharacteristics(sqlite3_file* file);
  static int ShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out);
  static int ShmLock(sqlite3_file* file, int offset, int n, int flags);
  static void ShmBarrier(sqlite3_file* file);
  static int ShmUnmap(sqlite3_file* file, int remove);
  static int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out);
  static int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* pointer);

  static sqlite3_file* Real(sqlite3_file* file) { return reinterpret_cast<File*>(file)->real; }

  static inline std::atomic<int> fail_with_{SQLITE_OK};
  static inline std::atomic<int64_t> syncs_{0};
  static inline sqlite3_vfs* real_vfs_ = nullptr;
  static inline sqlite3_vfs vfs_;
  static inline sqlite3_io_methods methods_;
};

inline void FaultVfs::Install() {
  if (real_vfs_ != nullptr) return;
  real_vfs_ = sqlite3_vfs_find(nullptr);
  vfs_ = *real_vfs_;
  vfs_.zName = "mpower-fault";
  vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_vfs_->szOsFile;
  vfs_.xOpen = &FaultVfs::Open;
  methods_ = {3,
              &Close,
              &Read,
              &Write,
              &Truncate,
              &Sync,
              &FileSize,
              &Lock,
              &Unlock,
              &CheckReservedLock,
              &FileControl,
              &SectorSize,
              &DeviceCharacteristics,
              &ShmMap,
              &ShmLock,
              &ShmBarrier,
              &ShmUnmap,
              &Fetch,
              &Unfetch};
  sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
}

inline int FaultVfs::Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags,
                          int* out_flags) {
  File* wrapper = reinterpret_cast<File*>(file);
  wrapper->real = reinterpret_cast<sqlite3_file*>(wrapper + 1);
  const int code = real_vfs_->xOpen(real_vfs_, name, wrapper->real, flags, out_flags);
  wrapper->base.pMethods = wrapper->real->pMethods != nullptr ? &methods_ : nullptr;
  return code;
}
inline int FaultVfs::Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
inline int FaultVfs::Read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  return Real(f)->pMethods->xRead(Real(f), b, n, o);
}
inline int FaultVfs::Write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  if (const int code = fail_with_.load(); code != SQLITE_OK) return code;
  return Real(f)->pMethods->xWrite(Real(f), b, n, o);
}
inline int FaultVfs::Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int code = fail_with_.load(); code != SQLITE_OK) return code;
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
inline int FaultVfs::Sync(sqlite3_file* f, int flags) {
  if (const int code = fail_with_.load(); code != SQLITE_OK) return code;
  syncs_.fetch_add(1);
  return Real(f)->pMethods->xSync(Real(f), flags);
}
inline int FaultVfs::FileSize(sqlite3_file* f, sqlite3_int64* s) {
  return Real(f)->pMethods->xFileSize(Real(f), s);
}
inline int FaultVfs::Lock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
inline int FaultVfs::Unlock(sqlite3_file* f, int l) {
  return Real(f)->pMethods->xUnlock(Real(f), l);
}
inline int FaultVfs::CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
inline int FaultVfs::FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
inline int FaultVfs::SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
inline int FaultVfs::DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
inline int FaultVfs::ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
inline int FaultVfs::ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
inline void FaultVfs::ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
inline int FaultVfs::ShmUnmap(sqlite3_file* f, int remove) {
  return Real(f)->pMethods->xShmUnmap(Real(f), remove);
}
inline int FaultVfs::Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), offset, amount, out);
}
inline int FaultVfs::Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* pointer) {
  return Real(f)->pMethods->xUnfetch(Real(f), offset, pointer);
}

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_FAULT_VFS_H_
