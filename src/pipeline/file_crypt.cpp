#include "pipeline/file_crypt.hpp"

#include <chrono>

#include <fmt/format.h>

#include "core/text.hpp"

namespace medcrypt::pipeline {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// A file name from a container is untrusted: keep a plain base name, never a path.
std::string safe_file_name(std::string name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name = name.substr(slash + 1);
  // Control and bidirectional characters, or bytes that are not UTF-8, could make a name display as another.
  name = safe_name_characters(name);
  if (name.empty() || name == "." || name == "..") name = "decrypted";
  if (name.front() == '.') name.insert(name.begin(), '_');
  return name;
}

// In an output directory nothing is overwritten: a taken name (a dangling link included) gets _2, _3, ...
// before its extension.
std::filesystem::path unused_path(const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::path candidate = dir / name;
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(std::filesystem::symlink_status(candidate, ec)); ++n) {
    std::filesystem::path p(name);
    candidate = dir / fmt::format("{}_{}{}", p.stem().string(), n, p.extension().string());
  }
  return candidate;
}

// Creates `folder` below `root` one name at a time, refusing to pass through a link or a file: a sender's
// folder name must never lead a recipient's file outside the output directory.
Result<std::filesystem::path> make_folder_below(const std::filesystem::path& root, const std::filesystem::path& folder) {
  std::filesystem::path dir = root;
  for (const auto& name : folder) {
    dir /= name;
    std::error_code ec;
    auto status = std::filesystem::symlink_status(dir, ec);
    if (status.type() == std::filesystem::file_type::not_found) {
      if (!std::filesystem::create_directory(dir, ec) && ec) {
        return make_error(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}", dir.string(), ec.message()));
      }
    } else if (status.type() != std::filesystem::file_type::directory) {
      return make_error(ErrorCode::kIo, fmt::format("{}: exists and is not a directory (a link is not followed)",
                                                    dir.string()));
    }
  }
  return dir;
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

std::filesystem::path restored_folder(const container::Metadata& metadata) {
  std::filesystem::path folder;
  std::string_view rest = metadata.folder;
  while (!rest.empty()) {
    auto end = rest.find_first_of("/\\");
    std::string name(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (name.empty() || name == "." || name == "..") continue;  // never above the output folder
    folder /= safe_file_name(std::move(name));
  }
  return folder;
}

Result<std::unique_ptr<schemes::Scheme>> scheme_for_sending(const std::string& name,
                                                            const schemes::SchemeParams& params) {
  MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, schemes::builtin_registry().create(name, params));
  if (scheme->info().control_only) {
    return make_error(ErrorCode::kUsage, fmt::format("scheme '{}' is a deliberately broken control cipher: only "
                                                     "`medcrypt attack` and `medcrypt analyze` run it", name));
  }
  return scheme;
}

Result<EncryptReport> encrypt_file(const std::filesystem::path& input, const std::filesystem::path& output,
                                   const EncryptOptions& options, const std::filesystem::path& folder) {
  EncryptReport report;
  auto start = std::chrono::steady_clock::now();
  MEDCRYPT_ASSIGN_OR_RETURN(image::LoadedImage loaded, image::read_image_file(input));
  report.read_ms = ms_since(start);
  report.geometry = loaded.image.geometry();
  report.format = loaded.format;
  report.modality = loaded.modality;
  report.notes = loaded.notes;

  MEDCRYPT_ASSIGN_OR_RETURN(auto scheme, scheme_for_sending(options.scheme, options.scheme_params));
  container::Metadata metadata{input.filename().string(), std::string(image::format_name(loaded.format)),
                               std::move(loaded.dicom_attributes), loaded.notes, folder.generic_string()};

  start = std::chrono::steady_clock::now();
  std::error_code ec;
  container::SealOptions seal = options.seal;
  seal.want_cipher_image = options.cipher_image_png.has_value();
  MEDCRYPT_ASSIGN_OR_RETURN(container::FileSink sink, container::FileSink::create(output));
  // No recipients at all: seal refuses them as it refuses an empty identity list.
  const container::Recipients recipients = options.recipients.value_or(container::Recipients::identities({}));
  MEDCRYPT_ASSIGN_OR_RETURN(container::SealReport sealed,
                            container::seal(loaded.image, metadata, *scheme, recipients, seal, sink));
  report.notes.insert(report.notes.end(), sealed.notes.begin(), sealed.notes.end());
  if (options.cipher_image_png) {
    MEDCRYPT_TRY(image::write_image_file(*options.cipher_image_png, sealed.cipher_image, image::FileFormat::kPng));
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
  if (!options.keys) return make_error(ErrorCode::kUsage, "no key: neither an identity nor a shared key given");
  DecryptReport report;
  auto start = std::chrono::steady_clock::now();
  MEDCRYPT_ASSIGN_OR_RETURN(container::FileSource source, container::FileSource::open(input));
  MEDCRYPT_ASSIGN_OR_RETURN(container::Opened opened, container::open(source, *options.keys, options.open));
  report.decrypt_ms = ms_since(start);

  auto original = image::parse_format_name(opened.metadata.format);
  if (!original) {
    return make_error(ErrorCode::kMalformed, fmt::format("unknown original format '{}'", opened.metadata.format));
  }
  start = std::chrono::steady_clock::now();
  if (output_is_directory) {
    MEDCRYPT_ASSIGN_OR_RETURN(auto dir, make_folder_below(output, restored_folder(opened.metadata)));
    // The name is chosen, then taken only if still free: a name taken meanwhile means another try.
    for (int attempt = 0;; ++attempt) {
      report.output = unused_path(dir, restored_file_name(opened.metadata));
      Status written = image::write_image_file(report.output, opened.image, restored_format(*original),
                                               opened.metadata.dicom_attributes, false);
      std::error_code ec;
      if (written || attempt == 9 || !std::filesystem::exists(std::filesystem::symlink_status(report.output, ec))) {
        MEDCRYPT_TRY(std::move(written));
        break;
      }
    }
  } else {
    report.output = output;
    MEDCRYPT_TRY(image::write_image_file(report.output, opened.image, restored_format(*original),
                                         opened.metadata.dicom_attributes));
  }
  report.write_ms = ms_since(start);
  report.header = std::move(opened.header);
  report.metadata = std::move(opened.metadata);
  return report;
}

}  // namespace medcrypt::pipeline
