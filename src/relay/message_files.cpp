#include "relay/internal/message_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "container/container.hpp"
#include "crypto/hash.hpp"

namespace medcrypt::relay::internal {
namespace {

Error io_error(const std::filesystem::path& path, std::string_view what) {
  return make_error(ErrorCode::kIo, fmt::format("{}: {}: {}", path.string(), what, std::strerror(errno)));
}

Status fsync_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open to sync");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error(path, "fsync failed");
  return {};
}

Status make_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error(dir, "cannot create directory");
  return {};
}

// Hashes every byte the verifier reads: the relay checks and names a container in one pass over it.
// Counts what the verification read, to find bytes after the signature.
class CountingSource final : public container::Source {
 public:
  explicit CountingSource(container::Source& inner) : inner_(inner) {}
  std::uint64_t size() const override { return inner_.size(); }
  Result<ByteView> next(std::size_t n) override {
    auto part = inner_.next(n);
    if (part) consumed_ += part->size();
    return part;
  }
  std::uint64_t consumed() const { return consumed_; }

 private:
  container::Source& inner_;
  std::uint64_t consumed_ = 0;
};

}  // namespace

PartFile::~PartFile() {
  if (fd_ >= 0) ::close(fd_);  // also releases the lock
}

Status PartFile::append(ByteView bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kIo, fmt::format("upload: write failed: {}", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  size_ += bytes.size();
  return {};
}

Status PartFile::clear() {
  if (::ftruncate(fd_, 0) != 0) return make_error(ErrorCode::kIo, fmt::format("upload: cannot empty: {}", std::strerror(errno)));
  size_ = 0;
  return {};
}

Result<MessageFiles> MessageFiles::open(const std::filesystem::path& data_dir) {
  MEDCRYPT_TRY(make_dir(data_dir));
  MEDCRYPT_TRY(make_dir(data_dir / "uploads"));
  MEDCRYPT_TRY(make_dir(data_dir / "objects"));
  // The 256 shards up front: no upload pays for a directory, and publish() has one directory to sync.
  for (int i = 0; i < 256; ++i) MEDCRYPT_TRY(make_dir(data_dir / "objects" / fmt::format("{:02x}", i)));
  MEDCRYPT_TRY(fsync_path(data_dir / "objects", O_RDONLY | O_DIRECTORY));
  MEDCRYPT_TRY(fsync_path(data_dir, O_RDONLY | O_DIRECTORY));
  return MessageFiles(data_dir);
}

std::filesystem::path MessageFiles::part_path(const std::string& upload_id) const {
  return root_ / "uploads" / (upload_id + ".part");
}

std::filesystem::path MessageFiles::object_path(const std::string& digest) const {
  return root_ / "objects" / digest.substr(0, 2) / digest;
}

Result<std::optional<PartFile>> MessageFiles::create_part(const std::string& upload_id) const {
  auto path = part_path(upload_id);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return std::optional<PartFile>();
  if (fd < 0) return io_error(path, "cannot create");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // a relay sharing the folder opened it first
    ::close(fd);
    return std::optional<PartFile>();
  }
  return std::optional<PartFile>(PartFile(fd, 0));
}

std::optional<std::uint64_t> MessageFiles::part_size(const std::string& upload_id) const {
  struct stat st {};
  if (::stat(part_path(upload_id).c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

Result<std::optional<PartFile>> MessageFiles::open_part(const std::string& upload_id) const {
  auto path = part_path(upload_id);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::optional<PartFile>();
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error e = io_error(path, "cannot stat");
    ::close(fd);
    return e;
  }
  // The request that held the lock may have published the file (renamed it) between our open and our
  // lock: then this is a stored message, not the part.
  struct stat now {};
  if (::stat(path.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
    ::close(fd);
    return std::optional<PartFile>();
  }
  return std::optional<PartFile>(PartFile(fd, static_cast<std::uint64_t>(st.st_size)));
}

void MessageFiles::remove_part(const std::string& upload_id) const { ::unlink(part_path(upload_id).c_str()); }

Result<std::vector<std::string>> MessageFiles::stale_parts(std::int64_t before_ms) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_ / "uploads", ec)) {
    const auto& path = entry.path();
    if (path.extension() != ".part") continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // finished or removed meanwhile
    std::int64_t mtime_ms = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (mtime_ms < before_ms) out.push_back(path.stem().string());
  }
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot list: {}", (root_ / "uploads").string(), ec.message()));
  return out;
}

Status MessageFiles::sync_part(const std::string& upload_id) const {
  return fsync_path(part_path(upload_id), O_RDONLY);
}

Result<VerifiedUpload> MessageFiles::verify_part(const std::string& upload_id) const {
  MEDCRYPT_TRY(sync_part(upload_id));
  MEDCRYPT_ASSIGN_OR_RETURN(container::FileSource file, container::FileSource::open(part_path(upload_id)));
  CountingSource source(file);
  MEDCRYPT_ASSIGN_OR_RETURN(container::VerifiedContainer verified, container::verify_signed_container(source));
  if (source.consumed() != source.size()) {
    return make_error(ErrorCode::kMalformed, "container has bytes after its signature");
  }
  return VerifiedUpload{std::move(verified.header), to_hex(verified.sha256)};
}

Status MessageFiles::publish(const std::string& upload_id, const std::string& digest) const {
  auto target = object_path(digest);
  if (::rename(part_path(upload_id).c_str(), target.c_str()) != 0) return io_error(target, "cannot store");
  return fsync_path(target.parent_path(), O_RDONLY | O_DIRECTORY);
}

void MessageFiles::remove_object(const std::string& digest) const { ::unlink(object_path(digest).c_str()); }

}  // namespace medcrypt::relay::internal
