// One function per subcommand, each in its own file: it declares its options on `app` and runs when
// the subcommand is chosen, recording failures in `outcome`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.hpp"

namespace medcrypt::cli {

void add_encrypt_command(CLI::App& app, Outcome& outcome);
void add_decrypt_command(CLI::App& app, Outcome& outcome);
void add_info_command(CLI::App& app, Outcome& outcome);
void add_keygen_command(CLI::App& app, Outcome& outcome);
void add_schemes_command(CLI::App& app, Outcome& outcome);
void add_demo_command(CLI::App& app, Outcome& outcome);
void add_ca_command(CLI::App& app, Outcome& outcome);
void add_serve_command(CLI::App& app, Outcome& outcome);
void add_send_command(CLI::App& app, Outcome& outcome);
void add_receive_command(CLI::App& app, Outcome& outcome);
void add_stats_command(CLI::App& app, Outcome& outcome);
void add_compare_command(CLI::App& app, Outcome& outcome);
void add_analyze_command(CLI::App& app, Outcome& outcome);
// `train` records its command line in the weights it writes.
void add_train_command(CLI::App& app, Outcome& outcome, int argc, char** argv);
void add_eval_command(CLI::App& app, Outcome& outcome);
// `eval classifier` and `eval utility`, added by add_eval_command.
void add_eval_classifier(CLI::App* eval, Outcome& outcome);
void add_eval_utility(CLI::App* eval, Outcome& outcome);
void add_classify_command(CLI::App& app, Outcome& outcome);
void add_roi_command(CLI::App& app, Outcome& outcome);
void add_attack_command(CLI::App& app, Outcome& outcome);
void add_keystream_command(CLI::App& app, Outcome& outcome);
void add_he_command(CLI::App& app, Outcome& outcome);

}  // namespace medcrypt::cli
