#include "container/stream_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace medcrypt::container {

Status Sink::write(ByteView bytes) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::span<std::uint8_t> out, region(bytes.size()));
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return commit(bytes.size());
}

Result<std::span<std::uint8_t>> MemorySink::region(std::size_t n) {
  if (target_) {
    if (target_->size() - size_ < n) return make_error(ErrorCode::kInternal, "memory sink is too small");
    return target_->subspan(size_, n);
  }
  if (owned_.size() < size_ + n) owned_.resize(std::max(size_ + n, owned_.size() * 3 / 2));
  return std::span<std::uint8_t>(owned_).subspan(size_, n);
}

Status MemorySink::commit(std::size_t n) {
  size_ += n;
  return {};
}

Result<FileSink> FileSink::create(const std::filesystem::path& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  return FileSink(std::move(file));
}

Result<std::span<std::uint8_t>> FileSink::region(std::size_t n) {
  if (buffer_.size() < n) buffer_.resize(n);
  return std::span<std::uint8_t>(buffer_).first(n);
}

Status FileSink::commit(std::size_t n) { return file_.write(ByteView(buffer_).first(n)); }

Result<ByteView> MemorySource::next(std::size_t n) {
  if (data_.size() - pos_ < n) {
    return make_error(ErrorCode::kMalformed, fmt::format("container truncated: needed {} more bytes, {} left", n,
                                                         data_.size() - pos_));
  }
  ByteView out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<FileSource> FileSource::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::kIo, fmt::format("{}: not a regular file", path.string()));
  }
  return FileSource(fd, static_cast<std::uint64_t>(st.st_size), path);
}

FileSource::FileSource(FileSource&& other) noexcept
    : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ByteView> FileSource::next(std::size_t n) {
  if (buffer_.size() < n) buffer_.resize(n);
  std::size_t done = 0;
  while (done < n) {
    ssize_t got = ::read(fd_, buffer_.data() + done, n - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return make_error(ErrorCode::kIo, fmt::format("{}: read failed: {}", path_.string(), std::strerror(errno)));
    }
    if (got == 0) {
      return make_error(ErrorCode::kMalformed, fmt::format("container truncated: needed {} more bytes, {} left", n,
                                                           done));
    }
    done += static_cast<std::size_t>(got);
  }
  return ByteView(buffer_).first(n);
}

}  // namespace medcrypt::container
