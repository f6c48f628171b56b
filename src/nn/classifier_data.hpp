// Labelled classification sets and their patient-disjoint split (../shared/data/train, their MANIFEST).
//
// A set is a folder with images/ and a labels.csv whose `file` column names the images. The label is
// the first of the columns `label`, `dr_grade`, `tb_label` (or the one asked for); its distinct integer
// values, sorted, become classes 0, 1, ...; a `label_name` column names them. The test split, never
// trained on, is chosen by what the table offers, so that no patient is on both sides where the table
// says who the patients are:
//   `cv_fold`:        every image of fold `test_fold` (the brain set's patient-wise folds);
//   `patient_key`:    a seeded `test_fraction` of the patients (the paediatric pneumonia set);
//   `official_split`: the rows marked "test" (the fundus set's official IDRiD split);
//   none of these:    a seeded `test_fraction` of the images (one image per patient).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "image/image.hpp"
#include "nn/classifier.hpp"

namespace medcrypt::nn {

struct ClassSetOptions {
  std::filesystem::path folder;
  std::string label_column;     // empty: the first of label, dr_grade, tb_label
  int test_fold = 4;            // sets with cv_fold
  double test_fraction = 0.2;   // sets with patient_key, and sets without split columns
  std::uint64_t seed = 1;
  std::size_t limit = 0;        // at most this many images of each split, a seeded sample (0: all), for quick runs
  bool test_only = false;       // read only the test split's images (the training split stays empty)
};

struct ClassExample {
  std::string file;
  image::Image image;  // as read
  int label = 0;       // class index
};

struct ClassSet {
  std::vector<ClassExample> train, test;
  std::vector<std::string> classes;  // names, by class index
  std::string label_column;
  std::string split;                 // how the test split was made, in words
  int channels = 1;                  // 3 when any image of the set is colour
};

Result<ClassSet> load_class_set(const ClassSetOptions& options);

// The options as JSON, recorded in the weights at training; `recorded_split` reads them back from a
// model's training record (`eval classifier`, `eval utility`). A relative folder that is not there is
// looked for below this source tree's root.
std::string class_split_json(const ClassSetOptions& options);
Result<ClassSetOptions> recorded_split(const ClassifierModel& model);

// Examples at the network's resolution (classifier_input).
Result<std::vector<ClassifierSample>> classifier_samples(const std::vector<ClassExample>& examples, int channels, int side);

}  // namespace medcrypt::nn
