// The classifier on its held-out split, beside the baselines measured in the same run: the majority
// class of the training split, and logistic regression on pixels (nn/classifier.hpp, arch "logistic")
// trained on the same training split with the same seed.
#pragma once

#include <string>
#include <vector>

#include "metrics/classification.hpp"
#include "nn/classifier.hpp"
#include "nn/classifier_data.hpp"

namespace medcrypt::nn {

struct ScoredModel {
  std::string name;
  std::vector<double> scores;  // images x classes probabilities
  metrics::ClassificationScores figures;
  double seconds = 0;          // inference (network), or training and inference (logistic baseline)
};

struct ClassifierStudy {
  std::vector<std::string> classes;
  std::vector<std::string> files;  // the held-out images
  std::vector<int> labels;
  std::vector<ScoredModel> models;  // the network, then the baselines
  std::string split;
};

// Class probabilities of every image (rows of model.config().classes.size()).
Result<std::vector<double>> classify_all(const ClassifierModel& model, const std::vector<ClassExample>& images);

struct BaselineOptions {
  int logistic_side = 32;
  int logistic_epochs = 60;
  std::uint64_t seed = 1;
  int threads = 0;
};

// The network on set.test; the majority class and the logistic baseline trained on set.train.
Result<ClassifierStudy> study_classifier(const ClassifierModel& model, const ClassSet& set, const BaselineOptions& options);

}  // namespace medcrypt::nn
