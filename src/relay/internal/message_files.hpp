// The relay's data folder: uploads in progress and the content-addressed message store.
//   uploads/ID.part    the bytes of an upload so far (its length is the resume offset)
//   objects/AB/DIGEST  a stored container, named by the SHA-256 of its bytes (AB: the first two digits)
// A container moves from uploads/ to objects/ only once fsynced and verified, and the rename is made
// durable (directory fsync) before the index points at it: a crash leaves either no message or a whole one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "container/format.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace medcrypt::relay::internal {

// An upload's part file, opened for appending and locked (flock) against a second writer, which may be
// another relay sharing the folder.
class PartFile {
 public:
  PartFile(PartFile&& other) noexcept : fd_(other.fd_), size_(other.size_) { other.fd_ = -1; }
  PartFile& operator=(PartFile&&) = delete;
  PartFile(const PartFile&) = delete;
  ~PartFile();

  std::uint64_t size() const { return size_; }
  Status append(ByteView bytes);
  Status clear();  // back to no bytes

 private:
  friend class MessageFiles;
  PartFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  std::uint64_t size_;
};

struct VerifiedUpload {
  container::Header header;
  std::string digest;  // SHA-256 of every byte (hex)
};

class MessageFiles {
 public:
  static Result<MessageFiles> open(const std::filesystem::path& data_dir);

  std::filesystem::path part_path(const std::string& upload_id) const;
  std::filesystem::path object_path(const std::string& digest) const;

  // Creates the part and opens it for appending, locked; nullopt if a part by that name exists.
  Result<std::optional<PartFile>> create_part(const std::string& upload_id) const;
  // Bytes received so far, or nullopt if the part file is gone.
  std::optional<std::uint64_t> part_size(const std::string& upload_id) const;
  // nullopt while another request holds the part (or it was published meanwhile).
  Result<std::optional<PartFile>> open_part(const std::string& upload_id) const;
  void remove_part(const std::string& upload_id) const;
  // Uploads whose part was last written before `before_ms` (Unix time, ms).
  Result<std::vector<std::string>> stale_parts(std::int64_t before_ms) const;

  // Makes the part's bytes durable (fsync).
  Status sync_part(const std::string& upload_id) const;
  // fsyncs the part, then checks its structure and signature (container::verify_signature_only, streamed
  // from disk) and hashes it in the same pass.
  Result<VerifiedUpload> verify_part(const std::string& upload_id) const;
  // Renames a verified part to objects/AB/DIGEST and makes the rename durable.
  Status publish(const std::string& upload_id, const std::string& digest) const;
  void remove_object(const std::string& digest) const;

 private:
  explicit MessageFiles(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

}  // namespace medcrypt::relay::internal
