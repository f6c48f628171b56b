// medcrypt: secure medical image transmission. One subcommand per file in this folder.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace medcrypt::cli;
  CLI::App app("medcrypt: encrypt, sign, send and analyse medical images", "medcrypt");
  app.require_subcommand(1);
  app.set_version_flag("--version", "medcrypt " MEDCRYPT_VERSION);
  Outcome outcome;
  add_encrypt_command(app, outcome);
  add_decrypt_command(app, outcome);
  add_info_command(app, outcome);
  add_keygen_command(app, outcome);
  add_schemes_command(app, outcome);
  add_demo_command(app, outcome);
  add_ca_command(app, outcome);
  add_serve_command(app, outcome);
  add_send_command(app, outcome);
  add_receive_command(app, outcome);
  add_stats_command(app, outcome);
  add_compare_command(app, outcome);
  add_analyze_command(app, outcome);
  add_train_command(app, outcome, argc, argv);
  add_eval_command(app, outcome);
  add_classify_command(app, outcome);
  add_roi_command(app, outcome);
  add_attack_command(app, outcome);
  add_keystream_command(app, outcome);
  add_he_command(app, outcome);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "medcrypt: error: {} (see --help)\n", e.what());
    return static_cast<int>(medcrypt::ErrorCode::kUsage);
  }
  return outcome.exit_code;
}
