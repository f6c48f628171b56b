#include "core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace medcrypt {
namespace {

Error io_error(const std::filesystem::path& path, std::string_view what) {
  return make_error(ErrorCode::kIo, fmt::format("{}: {}: {}", path.string(), what, std::strerror(errno)));
}

}  // namespace

Result<Bytes> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error e = io_error(path, "cannot stat");
    ::close(fd);
    return e;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::kIo, fmt::format("{}: not a regular file", path.string()));
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return make_error(ErrorCode::kLimits, fmt::format("{}: {} bytes is over the limit of {} bytes",
                                                      path.string(), st.st_size, max_bytes));
  }
  Bytes out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = n < 0 ? io_error(path, "read failed")
                      : make_error(ErrorCode::kIo, fmt::format("{}: file shrank while reading", path.string()));
      ::close(fd);
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return out;
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& path, unsigned mode) {
  std::random_device rd;
  auto dir = path.parent_path();
  // The temporary name adds 14 bytes: shorten the name in it, so that a name near NAME_MAX (255) still fits.
  constexpr std::size_t kMaxNameInTemp = 255 - 14;
  auto temp = dir / fmt::format(".{}.{:08x}.tmp", path.filename().string().substr(0, kMaxNameInTemp), rd());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return io_error(temp, "cannot create");
  return AtomicFile(path, temp, fd);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)), temp_(std::move(other.temp_)), fd_(other.fd_) {
  other.fd_ = -1;
  other.temp_.clear();
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Status AtomicFile::write(ByteView bytes) {
  if (fd_ < 0) return make_error(ErrorCode::kInternal, "write to a closed file");
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(temp_, "write failed");
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status AtomicFile::commit(bool replace) {
  if (fd_ < 0) return make_error(ErrorCode::kInternal, "commit of a closed file");
  if (::fsync(fd_) != 0) return io_error(temp_, "fsync failed");
  if (::close(fd_) != 0) {
    fd_ = -1;
    return io_error(temp_, "close failed");
  }
  fd_ = -1;
  if (replace) {
    if (::rename(temp_.c_str(), target_.c_str()) != 0) return io_error(target_, "cannot rename into place");
  } else if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) != 0) {
    // A file system without RENAME_NOREPLACE: a hard link is just as exclusive.
    if (errno != EINVAL || ::link(temp_.c_str(), target_.c_str()) != 0) {
      return errno == EEXIST ? make_error(ErrorCode::kIo, fmt::format("{}: exists; not replaced", target_.string()))
                             : io_error(target_, "cannot rename into place");
    }
    ::unlink(temp_.c_str());
  }
  temp_.clear();
  return {};
}

Status write_file_atomic(const std::filesystem::path& path, ByteView bytes, unsigned mode, bool replace) {
  MEDCRYPT_ASSIGN_OR_RETURN(auto file, AtomicFile::create(path, mode));
  MEDCRYPT_TRY(file.write(bytes));
  return file.commit(replace);
}

}  // namespace medcrypt
