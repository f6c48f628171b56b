// medcrypt he: a service classifies images it cannot read (he/encrypted_head.hpp, paper 004).
//   he keygen NAME [--bits 3072] [-o DIR] [--passphrase-file F]   NAME.hekey (0600) and NAME.hepub
//   he request IMAGE... --key NAME.hekey [--model M] -o REQUEST    the owner: features, encrypted
//   he evaluate REQUEST [--model M] -o REPLY                        the service: the head on ciphertexts
//   he evaluate REQUEST --server URL --cert C --cert-key K --ca CA -o REPLY
//                                                                    the same, asked of a relay (serve --he)
//   he open REPLY --request REQUEST --key NAME.hekey [--model M] [IMAGE...] [--json]
//                                                                    the owner: decrypted scores, classes
// The service reads only the head of the weights file and the public key inside the request.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "commands.hpp"
#include "he_command.hpp"
#include "core/file_io.hpp"
#include "core/secret_bytes.hpp"
#include "he/encrypted_head.hpp"
#include "he/key_file.hpp"
#include "image/image_file.hpp"
#include "metrics/classification.hpp"
#include "net/relay_client.hpp"
#include "nn/classifier.hpp"

namespace medcrypt::cli {
namespace {

constexpr std::uint64_t kMaxMessageBytes = 256ull << 20;

std::filesystem::path model_path(const std::string& model) {
  return model.empty() ? nn::classifier_model_path("pneumonia") : std::filesystem::path(model);
}

// The owner's Paillier key; its passphrase as an identity key's (--passphrase-file, else the terminal).
Result<he::PrivateKey> load_he_key(const std::string& key, const std::string& passphrase_file) {
  MEDCRYPT_TRY(check_private_file_mode(key));
  std::optional<std::filesystem::path> file;
  if (!passphrase_file.empty()) file = passphrase_file;
  MEDCRYPT_ASSIGN_OR_RETURN(KeyPassphrase passphrase, key_passphrase(key, file, he::private_key_is_protected));
  auto loaded = he::load_private_key(key, passphrase.text);
  if (!loaded) return with_passphrase_hint(loaded.error(), passphrase);
  return loaded;
}

// The classifier's last layer from its weights file: all the service holds, and what names the classes.
Result<nn::ClassifierHead> load_head(const std::string& model) {
  const std::filesystem::path path = model_path(model);
  MEDCRYPT_ASSIGN_OR_RETURN(nn::Weights weights, nn::read_weights_file(path));
  auto head = nn::classifier_head(weights);
  if (!head) return make_error(head.error().code, path.string() + ": " + head.error().message);
  return head;
}

}  // namespace

Result<he::QuantizedHead> load_quantized_head(const std::string& model) {
  MEDCRYPT_ASSIGN_OR_RETURN(const nn::ClassifierHead head, load_head(model));
  return he::quantize_head({static_cast<int>(head.config.classes.size()), head.inputs, head.weight, head.bias,
                            head.model});
}

namespace {

Result<std::string> read_text(const std::string& path) {
  MEDCRYPT_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxMessageBytes));
  return std::string(bytes.begin(), bytes.end());
}

// ----- keygen
struct KeygenArgs {
  std::string name, dir = ".", passphrase_file;
  int bits = he::kDefaultModulusBits;
};

Status run_keygen(const KeygenArgs& args) {
  if (args.name.empty() || args.name.find_first_of("/\\") != std::string::npos) {
    return make_error(ErrorCode::kUsage, "give a plain NAME for the key (no path separators; use -o DIR)");
  }
  std::error_code ec;
  std::filesystem::create_directories(args.dir, ec);
  if (ec) return make_error(ErrorCode::kIo, args.dir + ": cannot create directory: " + ec.message());
  const std::filesystem::path key_path = std::filesystem::path(args.dir) / (args.name + ".hekey");
  const std::filesystem::path pub_path = std::filesystem::path(args.dir) / (args.name + ".hepub");
  for (const auto& p : {key_path, pub_path}) {
    if (std::filesystem::exists(std::filesystem::symlink_status(p, ec))) {
      return make_error(ErrorCode::kIo, p.string() + " exists; remove it first to make a new key");
    }
  }
  KeyPassphrase passphrase;
  if (!args.passphrase_file.empty()) {
    MEDCRYPT_ASSIGN_OR_RETURN(passphrase.text, crypto::load_passphrase(args.passphrase_file));
  }
  MEDCRYPT_ASSIGN_OR_RETURN(he::PrivateKey key, he::PrivateKey::generate(args.bits));
  MEDCRYPT_ASSIGN_OR_RETURN(const SecretBytes private_pem,
                            he::private_key_pem(key, passphrase.text ? std::optional<std::string_view>(*passphrase.text)
                                                                     : std::nullopt));
  MEDCRYPT_TRY(write_file_atomic(key_path, private_pem.span(), 0600, false));
  MEDCRYPT_TRY(write_file_atomic(pub_path, as_bytes(he::public_key_pem(key.public_key())), 0644, false));
  fmt::print("wrote {} (private, mode 0600{}) and {}\n{}-bit Paillier key, key id {}\n", key_path.string(),
             passphrase.text ? ", passphrase-protected" : "", pub_path.string(), key.public_key().modulus_bits(),
             key.public_key().key_id());
  return {};
}

// ----- request
struct RequestArgs {
  std::vector<std::string> inputs;
  std::string key, passphrase_file, model, output;
  unsigned jobs = 0;
};

Status run_request(const RequestArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(he::PrivateKey key, load_he_key(args.key, args.passphrase_file));
  MEDCRYPT_ASSIGN_OR_RETURN(nn::ClassifierModel model, nn::ClassifierModel::load(model_path(args.model)));
  MEDCRYPT_ASSIGN_OR_RETURN(std::vector<InputFile> inputs, collect_inputs(args.inputs));
  const nn::ClassifierConfig& c = model.config();
  std::vector<float> features;
  for (const InputFile& in : inputs) {
    auto loaded = image::read_image_file(in.path);
    if (!loaded) return make_error(loaded.error().code, in.path.string() + ": " + loaded.error().message);
    auto x = nn::classifier_input(loaded->image, c.channels, c.side);
    if (!x) return make_error(x.error().code, in.path.string() + ": " + x.error().message);
    MEDCRYPT_ASSIGN_OR_RETURN(std::vector<float> f, model.features(*x, 1));
    features.insert(features.end(), f.begin(), f.end());
  }
  const int images = static_cast<int>(inputs.size());
  MEDCRYPT_ASSIGN_OR_RETURN(he::FeatureRequest request, he::encrypt_features(key, features, images, model.feature_count(),
                                                                             model.digest_hex(), threads_from_jobs(args.jobs)));
  MEDCRYPT_TRY(write_file_atomic(args.output, as_bytes(he::to_json(request))));
  fmt::print("wrote {}: {} image{}, {} features each, {} ciphertexts under key {}...\n", args.output, images,
             images == 1 ? "" : "s", request.inputs, request.ciphertexts.size(), request.key_id.substr(0, 16));
  return {};
}

// ----- evaluate
struct EvaluateArgs {
  std::string request, model, output, server;
  net::TlsFiles tls;
  unsigned jobs = 0;
};

// The relay's answer, checked to be a reply to this request before it is written.
Result<he::LogitReply> evaluate_on_relay(const EvaluateArgs& args, const std::string& text,
                                         const he::FeatureRequest& request) {
  if (args.tls.cert.empty() || args.tls.key.empty() || args.tls.ca.empty()) {
    return make_error(ErrorCode::kUsage, "--server needs --cert, --cert-key and --ca");
  }
  MEDCRYPT_ASSIGN_OR_RETURN(net::RelayClient client, net::RelayClient::create(args.server, args.tls));
  MEDCRYPT_ASSIGN_OR_RETURN(std::string answer, client.evaluate_encrypted(text));
  auto reply = he::parse_logit_reply(answer);
  if (!reply) return make_error(reply.error().code, "the relay's reply: " + reply.error().message);
  if (Status s = he::check_reply_matches(request, *reply); !s) {
    return make_error(s.error().code, "the relay's reply: " + s.error().message);
  }
  return reply;
}

Status run_evaluate(const EvaluateArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(std::string text, read_text(args.request));
  auto request = he::parse_feature_request(text);
  if (!request) return make_error(request.error().code, args.request + ": " + request.error().message);
  Result<he::LogitReply> reply = make_error(ErrorCode::kInternal, "not evaluated");
  if (!args.server.empty()) {
    reply = evaluate_on_relay(args, text, *request);
  } else {
    MEDCRYPT_ASSIGN_OR_RETURN(he::QuantizedHead head, load_quantized_head(args.model));
    reply = he::evaluate_head(head, *request, threads_from_jobs(args.jobs));
  }
  if (!reply) return make_error(reply.error().code, args.request + ": " + reply.error().message);
  MEDCRYPT_TRY(write_file_atomic(args.output, as_bytes(he::to_json(*reply))));
  fmt::print("wrote {}: encrypted scores of {} image{} for {} classes (key {}...)\n", args.output, reply->images,
             reply->images == 1 ? "" : "s", reply->classes, reply->key_id.substr(0, 16));
  return {};
}

// ----- open
struct OpenArgs {
  std::string reply, request, key, passphrase_file, model;
  std::vector<std::string> names;
  bool json = false;
};

std::vector<double> softmax(std::span<const double> logits) {
  double top = logits[0];
  for (double l : logits) top = std::max(top, l);
  std::vector<double> p;
  double sum = 0;
  for (double l : logits) sum += p.emplace_back(std::exp(l - top));
  for (double& v : p) v /= sum;
  return p;
}

Status run_open(const OpenArgs& args) {
  MEDCRYPT_ASSIGN_OR_RETURN(he::PrivateKey key, load_he_key(args.key, args.passphrase_file));
  MEDCRYPT_ASSIGN_OR_RETURN(const nn::ClassifierHead head, load_head(args.model));
  MEDCRYPT_ASSIGN_OR_RETURN(std::string text, read_text(args.reply));
  auto reply = he::parse_logit_reply(text);
  if (!reply) return make_error(reply.error().code, args.reply + ": " + reply.error().message);
  // The reply must answer this request: its images are the ones named in it, in its order.
  MEDCRYPT_ASSIGN_OR_RETURN(std::string request_text, read_text(args.request));
  auto request = he::parse_feature_request(request_text);
  if (!request) return make_error(request.error().code, args.request + ": " + request.error().message);
  if (auto s = he::check_reply_matches(*request, *reply); !s) return make_error(s.error().code, args.reply + ": " + s.error().message);
  const std::vector<std::string>& classes = head.config.classes;
  if (reply->model != head.model || reply->classes != static_cast<int>(classes.size())) {
    return make_error(ErrorCode::kUnsupported, args.reply + ": the scores come from model " + reply->model.substr(0, 16) +
                                                   "..., not " + model_path(args.model).string());
  }
  if (!args.names.empty() && args.names.size() != std::size_t(reply->images)) {
    return make_error(ErrorCode::kUsage, fmt::format("{} names given for {} images", args.names.size(), reply->images));
  }
  auto logits = he::decrypt_logits(key, *reply);
  if (!logits) return make_error(logits.error().code, args.reply + ": " + logits.error().message);
  nlohmann::json images = nlohmann::json::array();
  std::string lines;
  for (int s = 0; s < reply->images; ++s) {
    std::vector<double> l(classes.size());
    std::vector<std::int64_t> fixed(classes.size());
    for (std::size_t j = 0; j < classes.size(); ++j) {
      fixed[j] = (*logits)[std::size_t(s) * classes.size() + j];
      l[j] = std::ldexp(static_cast<double>(fixed[j]), -he::kLogitScaleBits);
    }
    const std::vector<double> p = softmax(l);
    const int k = metrics::predicted_class(p);
    const std::string name = args.names.empty() ? fmt::format("image {}", s + 1) : args.names[s];
    images.push_back({{"image", name}, {"class", classes[k]}, {"class_index", k}, {"scores", p}, {"logits_fixed", fixed}});
    lines += fmt::format("{}: {} (", name, classes[k]);
    for (std::size_t j = 0; j < classes.size(); ++j) lines += fmt::format("{}{} {:.4f}", j ? ", " : "", classes[j], p[j]);
    lines += ")\n";
  }
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"model", head.model}, {"set", head.config.set}, {"classes", classes},
                                      {"logit_scale_bits", he::kLogitScaleBits}, {"images", images}}
                           .dump(2));
  } else {
    fmt::print("{}", lines);
  }
  return {};
}

template <typename Args, typename Run>
void on_run(CLI::App* cmd, std::shared_ptr<Args> args, Outcome& outcome, Run run) {
  cmd->callback([args, &outcome, run] {
    Status s = run(*args);
    if (!s) outcome.fail(s.error());
  });
}

}  // namespace

void add_he_command(CLI::App& app, Outcome& outcome) {
  CLI::App* he = app.add_subcommand("he", "Classify images on a service that cannot read them (Paillier, paper 004)");
  he->require_subcommand(1);

  auto keygen = std::make_shared<KeygenArgs>();
  CLI::App* k = he->add_subcommand("keygen", "Make a Paillier key pair (NAME.hekey, NAME.hepub)");
  k->add_option("name", keygen->name, "Key name")->required();
  k->add_option("-o,--output-dir", keygen->dir, "Directory for the key files")->capture_default_str();
  k->add_option("--bits", keygen->bits, "Modulus bits (2048 to 8192; 3072 gives about 128-bit security)")->capture_default_str();
  k->add_option("--passphrase-file", keygen->passphrase_file, "Protect NAME.hekey with the passphrase in this file");
  on_run(k, keygen, outcome, run_keygen);

  auto request = std::make_shared<RequestArgs>();
  CLI::App* r = he->add_subcommand("request", "Encrypt images' classifier features for the service");
  r->add_option("inputs", request->inputs, "Image files or folders")->required();
  r->add_option("--key", request->key, "Paillier private key (NAME.hekey)")->required();
  r->add_option("--passphrase-file", request->passphrase_file, "Passphrase of a protected key");
  r->add_option("--model", request->model, "Classifier weights (default: models/classifier-pneumonia.weights)");
  r->add_option("-o,--output", request->output, "Request file to write")->required();
  r->add_option("--jobs", request->jobs, "Threads (0: all)");
  on_run(r, request, outcome, run_request);

  auto evaluate = std::make_shared<EvaluateArgs>();
  CLI::App* e = he->add_subcommand("evaluate", "The service: the classifier's head on encrypted features");
  e->add_option("request", evaluate->request, "Request file")->required();
  auto* model = e->add_option("--model", evaluate->model,
                               "Classifier weights whose head to apply (default: the pneumonia network)");
  e->add_option("-o,--output", evaluate->output, "Reply file to write")->required();
  e->add_option("--jobs", evaluate->jobs, "Threads (0: all)");
  e->add_option("--server", evaluate->server, "Ask this relay (https://HOST:PORT, run with serve --he) instead")
      ->excludes(model);
  e->add_option("--cert", evaluate->tls.cert, "Client certificate (PEM), with --server");
  e->add_option("--cert-key", evaluate->tls.key, "Client certificate's private key (PEM), with --server");
  e->add_option("--ca", evaluate->tls.ca, "CA certificate the relay's certificate must chain to, with --server");
  on_run(e, evaluate, outcome, run_evaluate);

  auto open = std::make_shared<OpenArgs>();
  CLI::App* o = he->add_subcommand("open", "Decrypt the service's scores: each image's class");
  o->add_option("reply", open->reply, "Reply file")->required();
  o->add_option("names", open->names, "Names for the images, in the request's order");
  o->add_option("--request", open->request, "The request this reply answers")->required();
  o->add_option("--key", open->key, "Paillier private key (NAME.hekey)")->required();
  o->add_option("--passphrase-file", open->passphrase_file, "Passphrase of a protected key");
  o->add_option("--model", open->model, "Classifier weights (default: the pneumonia network)");
  o->add_flag("--json", open->json, "Print JSON, with the fixed-point logits");
  on_run(o, open, outcome, run_open);
}

}  // namespace medcrypt::cli
