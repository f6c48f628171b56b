// File-level encryption and decryption: image file -> .mct container -> image file in its original
// format. Shared by the CLI, the demo and the transmission client.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/image_file.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::pipeline {

struct EncryptOptions {
  std::string scheme = "aead";
  schemes::SchemeParams scheme_params;
  container::SealOptions seal;
  std::optional<container::Recipients> recipients;  // none: refused, as an empty identity list is
  std::optional<std::filesystem::path> cipher_image_png;  // --emit-cipher-image
};

struct EncryptReport {
  image::Geometry geometry;
  image::FileFormat format = image::FileFormat::kPng;
  std::string modality;  // DICOM Modality, empty for other formats
  std::uint64_t container_bytes = 0;
  double read_ms = 0, encrypt_ms = 0;  // encrypt_ms: scheme and container, file write included
  std::vector<std::string> notes;
};

// The scheme a sender encrypts with: kUsage for a control cipher (`demo-weak`), which only `attack` and
// `analyze` run.
Result<std::unique_ptr<schemes::Scheme>> scheme_for_sending(const std::string& name,
                                                            const schemes::SchemeParams& params);

// Reads `input`, seals it and writes `output` atomically (no file appears on any failure). `folder`, the
// input's folder below an encrypted folder, travels sealed so that the recipient can rebuild the tree.
Result<EncryptReport> encrypt_file(const std::filesystem::path& input, const std::filesystem::path& output,
                                   const EncryptOptions& options, const std::filesystem::path& folder = {});

struct DecryptOptions {
  std::optional<container::OpenKeys> keys;  // none: refused (kUsage)
  container::OpenOptions open;
};

struct DecryptReport {
  std::filesystem::path output;
  container::Header header;
  container::Metadata metadata;
  double decrypt_ms = 0, write_ms = 0;
};

// Decrypts `input`. `output` is the file to write, or, when `output_is_directory`, the directory in
// which the original folder and file name (from the sealed metadata) are used, never outside it and never
// replacing a file. The original format is restored; a JPEG original comes back as PNG, since re-encoding
// JPEG would change the pixels.
Result<DecryptReport> decrypt_file(const std::filesystem::path& input, const std::filesystem::path& output,
                                   bool output_is_directory, const DecryptOptions& options);

// The format a decrypted file is written in, and the file name it gets in an output directory.
image::FileFormat restored_format(image::FileFormat original);
std::string restored_file_name(const container::Metadata& metadata);
// The sealed folder made safe: '/' or '\' separate names; empty names, '.' and '..' are dropped, a hidden
// name gets a '_' in front, control and bidirectional characters become '_'.
std::filesystem::path restored_folder(const container::Metadata& metadata);

}  // namespace medcrypt::pipeline
