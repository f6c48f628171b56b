// Whole-file reads with a size cap, and output files that appear only when complete.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace medcrypt {

// Reads a whole file; refuses files larger than max_bytes with ErrorCode::kLimits.
Result<Bytes> read_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Writes to a hidden temporary file beside `path`; commit() fsyncs it and renames it into place.
// Destroyed uncommitted, it removes the temporary, so a failure never leaves a partial output.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::filesystem::path& path, unsigned mode = 0644);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  Status write(ByteView bytes);
  // With `replace` false the file appears only where nothing exists yet (not even a dangling link): the
  // check and the rename are one step, so two writers never both succeed. A taken name fails with kIo.
  Status commit(bool replace = true);
  const std::filesystem::path& temp_path() const { return temp_; }

 private:
  AtomicFile(std::filesystem::path target, std::filesystem::path temp, int fd)
      : target_(std::move(target)), temp_(std::move(temp)), fd_(fd) {}
  std::filesystem::path target_, temp_;
  int fd_ = -1;
};

// Writes a complete file atomically (AtomicFile, one write, commit).
Status write_file_atomic(const std::filesystem::path& path, ByteView bytes, unsigned mode = 0644,
                         bool replace = true);

}  // namespace medcrypt
