#include "cli_support.hpp"

#include <openssl/ui.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "core/secret_bytes.hpp"
#include "core/text.hpp"
#include "core/parallel.hpp"
#include "nn/classifier.hpp"

namespace medcrypt::cli {

void Outcome::fail(const Error& error, const std::string& context) {
  // Readers name the file in their messages already; say it once.
  bool named = context.empty() || error.message.rfind(context, 0) == 0;
  // Messages quote file names and header strings: escaped, they cannot forge a second line or a colour.
  std::string message = printable(named ? error.message : context + ": " + error.message);
  fmt::print(stderr, "medcrypt: error: {}\n", message);
  if (exit_code == 0) exit_code = static_cast<int>(error.code);
}

namespace {

// The name a folder argument goes by: "study/" and "study" are "study", "." is the current folder's name.
std::filesystem::path folder_name(const std::filesystem::path& folder) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(folder, ec).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  return absolute.filename();
}

}  // namespace

Result<std::vector<InputFile>> collect_inputs(const std::vector<std::string>& args, const std::string& extension) {
  std::vector<InputFile> out;
  for (const auto& arg : args) {
    std::error_code ec;
    std::filesystem::path p(arg);
    if (std::filesystem::is_directory(p, ec)) {
      const std::filesystem::path prefix = args.size() > 1 ? folder_name(p) : std::filesystem::path();
      const std::filesystem::path boundary = std::filesystem::canonical(p, ec);
      std::vector<InputFile> found;
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        auto name = it->path().filename().string();
        if (name.front() == '.' || (!extension.empty() && !it->is_directory(ec) && it->path().extension() != extension)) {
          continue;
        }
        std::error_code link_ec;
        if (it->is_symlink(link_ec)) {
          // A folder is read within its boundary: a link out of it would take files the user did not name.
          auto target = std::filesystem::canonical(it->path(), link_ec);
          auto inside = link_ec ? std::filesystem::path("..") : target.lexically_relative(boundary);
          const char* why = link_ec                                   ? "a link to nothing"
                            : std::filesystem::is_directory(target, link_ec) ? "a link to a folder, not followed"
                            : inside.empty() || *inside.begin() == ".."      ? "a link out of the folder"
                                                                             : nullptr;
          if (why != nullptr) {
            fmt::print(stderr, "medcrypt: warning: {}: skipped, {}\n", printable(it->path().string()), why);
            continue;
          }
        }
        if (it->is_regular_file(ec)) found.push_back({it->path(), prefix / it->path().lexically_relative(p)});
      }
      if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: cannot list: {}", arg, ec.message()));
      std::sort(found.begin(), found.end(), [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
      out.insert(out.end(), found.begin(), found.end());
    } else if (std::filesystem::is_regular_file(p, ec)) {
      out.push_back({p, p.filename()});
    } else {
      return make_error(ErrorCode::kIo, fmt::format("{}: no such file or directory", arg));
    }
  }
  if (out.empty()) return make_error(ErrorCode::kUsage, "no input files");
  return out;
}

Status check_distinct_outputs(const std::vector<InputFile>& inputs) {
  std::map<std::filesystem::path, const std::filesystem::path*> seen;
  for (const auto& in : inputs) {
    auto [it, inserted] = seen.emplace(in.relative, &in.path);
    if (!inserted) {
      return make_error(ErrorCode::kUsage,
                        fmt::format("{} and {} would both be written as {} in the output folder; encrypt them separately",
                                    it->second->string(), in.path.string(), in.relative.string()));
    }
  }
  return {};
}

bool output_is_directory(const std::vector<std::string>& args) {
  std::error_code ec;
  return args.size() > 1 || std::filesystem::is_directory(args.front(), ec);
}

Status check_private_file_mode(const std::filesystem::path& key_file) {
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0) return {};  // the load that follows names the file's problem
  if ((st.st_mode & 077) != 0) {
    return make_error(ErrorCode::kBadKey,
                      fmt::format("{}: mode {:04o} lets others use this private key; refusing it (chmod 600 {})",
                                  key_file.string(), st.st_mode & 07777, key_file.string()));
  }
  return {};
}

Result<SecretBytes> load_shared_key(const std::filesystem::path& key_file) {
  MEDCRYPT_TRY(check_private_file_mode(key_file));
  return crypto::load_shared_key(key_file);
}

KeyPassphrase::KeyPassphrase(KeyPassphrase&& other) noexcept : text(other.text), needed(other.needed) { other.wipe(); }

KeyPassphrase& KeyPassphrase::operator=(KeyPassphrase&& other) noexcept {
  if (this != &other) {
    wipe();
    text = other.text;
    needed = other.needed;
    other.wipe();
  }
  return *this;
}

void KeyPassphrase::wipe() {
  if (!text) return;
  text->resize(text->capacity());  // every byte the string owns, inline or not
  secure_wipe(*text);
  text.reset();
}

Result<KeyPassphrase> key_passphrase(const std::filesystem::path& key_file,
                                     const std::optional<std::filesystem::path>& passphrase_file,
                                     bool (*is_protected)(std::string_view text)) {
  KeyPassphrase out;
  if (passphrase_file) {
    MEDCRYPT_ASSIGN_OR_RETURN(out.text, crypto::load_passphrase(*passphrase_file));
    return out;
  }
  auto key_text = read_file(key_file, 64 * 1024);
  if (!key_text) return out;  // the load that follows names the file's problem
  out.needed = is_protected(std::string_view(reinterpret_cast<const char*>(key_text->data()), key_text->size()));
  secure_wipe(*key_text);
  if (out.needed && ::isatty(STDIN_FILENO) != 0) {
    char buf[1024];
    std::string prompt = fmt::format("Passphrase for {}: ", key_file.string());
    if (UI_UTIL_read_pw_string(buf, sizeof buf, prompt.c_str(), 0) != 0) {
      return make_error(ErrorCode::kBadKey, "no passphrase given");
    }
    out.text.emplace(buf);
    secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(buf), sizeof buf));
  }
  return out;
}

Error with_passphrase_hint(Error error, const KeyPassphrase& passphrase) {
  if (passphrase.needed && !passphrase.text) error.message += " (give --passphrase-file)";
  return error;
}

Result<crypto::Identity> load_identity(const std::filesystem::path& key_file,
                                       const std::optional<std::filesystem::path>& passphrase_file) {
  MEDCRYPT_TRY(check_private_file_mode(key_file));
  MEDCRYPT_ASSIGN_OR_RETURN(KeyPassphrase passphrase, key_passphrase(key_file, passphrase_file, crypto::pem_is_encrypted));
  auto id = crypto::load_private_identity(key_file, passphrase.text);
  if (!id) return with_passphrase_hint(id.error(), passphrase);
  return id;
}

unsigned threads_from_jobs(unsigned jobs) { return jobs == 0 ? default_threads() : jobs; }

ProgressBar::ProgressBar(std::string label, std::uint64_t total)
    : label_(std::move(label)), total_(std::max<std::uint64_t>(total, 1)), enabled_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::uint64_t done, const std::string& detail) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  int filled = static_cast<int>(frac * kWidth);
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  fmt::print(stderr, "\r{} [{}{}] {:3.0f}% ETA {:.0f}s {}\x1b[K", label_, std::string(filled, '='),
             std::string(kWidth - filled, ' '), frac * 100, eta, detail);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

void add_roi_options(CLI::App* cmd, RoiOptions& roi) {
  cmd->add_option("--roi", roi.mode,
                  "Region-of-interest mode (chaos-henon): full (every block ciphered, the regions order the "
                  "blocks) or selective (regions with the full cipher, background with a keystream XOR only)");
  cmd->add_option("--roi-network", roi.network, "The network that finds the regions: lung or brain-tumour");
}

Status apply_roi_options(const RoiOptions& roi, schemes::SchemeParams& params) {
  if (roi.mode.empty() && roi.network.empty()) return {};
  if (roi.network.empty()) return make_error(ErrorCode::kUsage, "--roi needs --roi-network lung or brain-tumour");
  const std::string mode = roi.mode.empty() ? "full" : roi.mode;
  if (mode != "full" && mode != "selective") return make_error(ErrorCode::kUsage, "--roi must be full or selective");
  if (params.contains("roi") || params.contains("roi-mode")) {
    return make_error(ErrorCode::kUsage, "give the region of interest with --roi or in --scheme-params, not both");
  }
  params["roi"] = roi.network;
  if (mode == "selective") params["roi-mode"] = mode;
  return {};
}

Result<nn::ClassifierModel> load_classifier(const std::string& model) {
  auto loaded = nn::ClassifierModel::load_or_shipped(model);
  if (!loaded && model.empty()) return make_error(loaded.error().code, loaded.error().message + "; name one with --model");
  return loaded;
}

}  // namespace medcrypt::cli
