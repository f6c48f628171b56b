#include "pipeline/file_crypt.hpp"

#include <chrono>

#include <fmt/format.h>

namespace medcrypt::pipeline {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// A file name from a container is untrusted: keep a plain base name, never a path.
std::string safe_file_name(std::string name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name = name.substr(slash + 1);
  std::erase_if(name, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (name.empty() || name == "." || name == "..") name = "decrypted";
  if (name.front() == '.') name.insert(name.begin(), '_');
  return name;
}

// In an output directory nothing is overwritten: a taken name gets _2, _3, ... before its extension.
std::filesystem::path unused_path(const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::path candidate = dir / name;
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(candidate, ec); ++n) {
    std::filesystem::path p(name);
    candidate = dir / fmt::format("{}_{}{}", p.stem().string(), n, p.extension().string());
  }
  return candidate;
}

}  // namespace

image::FileFormat restored_format(image::FileFormat original) {
  return original == image::FileFormat::kJpeg ? image::FileFormat::kPng : original;
}

std::string restored_file_name(const container::Metadata& metadata) {
  std::string name = safe_file_name(metadata.file_name);
  auto format = image::parse_format_name(metadata.format);
  if (format && *format == image::FileFormat::kJpeg) name = std::filesystem::path(name).replace_extension(".png");
  return name;
}

Result<EncryptReport> encrypt_file(const std::filesystem::path& input, const std::filesystem::path& output,
                                   const EncryptOptions& options) {
  EncryptReport report;
  auto start = std::chrono::steady_clock::now();
  MEDCRYPT_ASSIGN_OR_RETURN(image::LoadedImage loaded, image::read_image_file(input));
  report.read_ms = ms_since(start);
  report.geometry = loaded.image.geometry();
  report.format = loaded.format;
  report.modality = loaded.modality;
  report.notes = loaded.notes;

  MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, schemes::builtin_registry().create(options.scheme, options.scheme_params));
  container::Metadata metadata{input.filename().string(), std::string(image::format_name(loaded.format)),
                               std::move(loaded.dicom_attributes), loaded.notes};

  start = std::chrono::steady_clock::now();
  std::error_code ec;
  container::SealOptions seal = options.seal;
  image::Image cipher_image;
  if (options.cipher_image_png) seal.cipher_image = &cipher_image;
  MEDCRYPT_ASSIGN_OR_RETURN(container::FileSink sink, container::FileSink::create(output));
  MEDCRYPT_TRY(container::seal(loaded.image, metadata, *scheme, options.recipients, seal, sink));
  if (options.cipher_image_png) {
    MEDCRYPT_TRY(image::write_image_file(*options.cipher_image_png, cipher_image, image::FileFormat::kPng));
  }
  Status committed = sink.finish();
  if (!committed) {
    if (options.cipher_image_png) std::filesystem::remove(*options.cipher_image_png, ec);
    return std::move(committed).error();
  }
  report.encrypt_ms = ms_since(start);
  report.container_bytes = std::filesystem::file_size(output, ec);
  return report;
}

Result<DecryptReport> decrypt_file(const std::filesystem::path& input, const std::filesystem::path& output,
                                   bool output_is_directory, const DecryptOptions& options) {
  DecryptReport report;
  auto start = std::chrono::steady_clock::now();
  MEDCRYPT_ASSIGN_OR_RETURN(container::FileSource source, container::FileSource::open(input));
  MEDCRYPT_ASSIGN_OR_RETURN(container::Opened opened, container::open(source, options.keys, options.open));
  report.decrypt_ms = ms_since(start);

  auto original = image::parse_format_name(opened.metadata.format);
  if (!original) {
    return make_error(ErrorCode::kMalformed, fmt::format("unknown original format '{}'", opened.metadata.format));
  }
  report.output = output_is_directory ? unused_path(output, restored_file_name(opened.metadata)) : output;
  start = std::chrono::steady_clock::now();
  MEDCRYPT_TRY(image::write_image_file(report.output, opened.image, restored_format(*original),
                                       opened.metadata.dicom_attributes));
  report.write_ms = ms_since(start);
  report.header = std::move(opened.header);
  report.metadata = std::move(opened.metadata);
  return report;
}

}  // namespace medcrypt::pipeline
