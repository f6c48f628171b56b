// What every subcommand shares: error reporting with exit codes, input lists, a progress bar.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/result.hpp"
#include "crypto/identity.hpp"
#include "schemes/scheme.hpp"

namespace medcrypt::nn {
class ClassifierModel;
}  // namespace medcrypt::nn

namespace medcrypt::cli {

// Set by a subcommand's callback; main() returns it.
struct Outcome {
  int exit_code = 0;
  // Records an error: prints one line on stderr and keeps the first failure's exit code.
  void fail(const Error& error, const std::string& context = {});
};

// A file to process and where it belongs under an output directory.
struct InputFile {
  std::filesystem::path path;
  // Its path below the folder named on the command line (below that folder's parent when several inputs
  // are named, so that two folders' files stay apart); a file named by itself: its base name.
  std::filesystem::path relative;
};

// Expands files and directories (recursively, sorted) into a list of files. `extension`, if given,
// filters files found inside directories (".mct" for decrypt).
// `--roi full|selective --roi-network lung|brain-tumour`: the region-of-interest options of chaos-henon
// (and chaos-henon:paper, full only), added to the scheme parameters as roi= and roi-mode=.
struct RoiOptions {
  std::string mode;
  std::string network;
};
void add_roi_options(CLI::App* cmd, RoiOptions& roi);
Status apply_roi_options(const RoiOptions& roi, schemes::SchemeParams& params);

Result<std::vector<InputFile>> collect_inputs(const std::vector<std::string>& args,
                                              const std::string& extension = {});

// Refuses a list in which two inputs have the same relative path, which would map them to one output.
Status check_distinct_outputs(const std::vector<InputFile>& inputs);

// With one input file, -o names the output file; with several inputs or a directory, a directory.
bool output_is_directory(const std::vector<std::string>& args);

// A private key file that group or others may read or write is refused, as ssh refuses one: whoever
// else could read it holds the key too.
Status check_private_file_mode(const std::filesystem::path& key_file);

// Loads a shared key file (--key), refusing one that others can read.
Result<SecretBytes> load_shared_key(const std::filesystem::path& key_file);

// The passphrase of a private key file: from `passphrase_file`, else asked on the terminal when
// `is_protected` says the key's text needs one, else none. Wiped when it goes.
struct KeyPassphrase {
  std::optional<std::string> text;
  bool needed = false;  // the key is protected
  KeyPassphrase() = default;
  // A moved-from string keeps its bytes (inline ones, for a short passphrase): moves copy, then wipe.
  KeyPassphrase(KeyPassphrase&& other) noexcept;
  KeyPassphrase& operator=(KeyPassphrase&& other) noexcept;
  ~KeyPassphrase() { wipe(); }
  void wipe();
};
Result<KeyPassphrase> key_passphrase(const std::filesystem::path& key_file,
                                     const std::optional<std::filesystem::path>& passphrase_file,
                                     bool (*is_protected)(std::string_view text));
// A key refused for want of a passphrase: the error names --passphrase-file.
Error with_passphrase_hint(Error error, const KeyPassphrase& passphrase);

// Loads an identity key (refusing one that others can read), asking for its passphrase on the terminal
// if it is protected and no passphrase file was given.
Result<crypto::Identity> load_identity(const std::filesystem::path& key_file,
                                       const std::optional<std::filesystem::path>& passphrase_file);

// Threads from --jobs (0: every hardware thread).
unsigned threads_from_jobs(unsigned jobs);

// A one-line progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::uint64_t total);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  void update(std::uint64_t done, const std::string& detail = {});
  void finish();

 private:
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// The classifier of --model, or without one the shipped network; a failure then says to name one with --model.
Result<nn::ClassifierModel> load_classifier(const std::string& model);

}  // namespace medcrypt::cli
