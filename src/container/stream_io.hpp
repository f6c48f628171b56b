// Where containers are written to and read from: files or memory, in sequential regions, so a
// multi-gigabyte container passes through a small window instead of being held whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

#include "core/bytes.hpp"
#include "core/file_io.hpp"
#include "core/result.hpp"

namespace medcrypt::container {

class Sink {
 public:
  virtual ~Sink() = default;
  // A writable region of n bytes at the end of the output, valid until commit().
  virtual Result<std::span<std::uint8_t>> region(std::size_t n) = 0;
  // Appends the first n bytes of the last region.
  virtual Status commit(std::size_t n) = 0;
  Status write(ByteView bytes);
};

// Writes into memory: a buffer it owns, or a caller's span (no allocation on the hot path).
class MemorySink final : public Sink {
 public:
  MemorySink() = default;
  explicit MemorySink(std::span<std::uint8_t> target) : target_(target) {}
  Result<std::span<std::uint8_t>> region(std::size_t n) override;
  Status commit(std::size_t n) override;
  std::size_t size() const { return size_; }
  // The bytes written (owned mode only).
  Bytes take() && {
    owned_.resize(size_);
    return std::move(owned_);
  }

 private:
  std::optional<std::span<std::uint8_t>> target_;
  Bytes owned_;
  std::size_t size_ = 0;
};

// Writes a file atomically: nothing appears at `path` unless finish() is called after every write.
class FileSink final : public Sink {
 public:
  static Result<FileSink> create(const std::filesystem::path& path);
  Result<std::span<std::uint8_t>> region(std::size_t n) override;
  Status commit(std::size_t n) override;
  Status finish() { return file_.commit(); }

 private:
  explicit FileSink(AtomicFile file) : file_(std::move(file)) {}
  AtomicFile file_;
  Bytes buffer_;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual std::uint64_t size() const = 0;
  // The next n bytes, valid until the next call; kMalformed ("truncated") if fewer remain.
  virtual Result<ByteView> next(std::size_t n) = 0;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(ByteView data) : data_(data) {}
  std::uint64_t size() const override { return data_.size(); }
  Result<ByteView> next(std::size_t n) override;

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

class FileSource final : public Source {
 public:
  static Result<FileSource> open(const std::filesystem::path& path);
  FileSource(FileSource&& other) noexcept;
  FileSource& operator=(FileSource&&) = delete;
  ~FileSource();
  std::uint64_t size() const override { return size_; }
  Result<ByteView> next(std::size_t n) override;

 private:
  FileSource(int fd, std::uint64_t size, std::filesystem::path path) : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::filesystem::path path_;
  Bytes buffer_;
};

}  // namespace medcrypt::container
