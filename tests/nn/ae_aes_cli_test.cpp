// ae-aes through the command line: encrypt, info and decrypt say LOSSY; the restored file keeps the
// original's format and geometry; train and eval work end to end; a missing torch module, an altered
// model file and a container made with other weights each fail with one clear line.
#include <gtest/gtest.h>

#include <algorithm>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

class AeAesCli : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDCRYPT_REQUIRE_SHARED_DATA();
    ASSERT_EQ(run_medcrypt("keygen --symmetric " + quote(dir / "k")).exit_code, 0);
  }
  ProcessResult encrypt(const std::filesystem::path& image, const std::string& extra = "") {
    return run_medcrypt("encrypt " + quote(image) + " -o " + quote(dir / "c.mct") + " --key " + quote(dir / "k") +
                        " --scheme ae-aes " + extra);
  }
  ScratchDir dir;
};

TEST_F(AeAesCli, EncryptInfoDecryptSayLossyAndRestoreTheGeometry) {
  const auto image = shared_data() / "dicom" / "CT1_UNC.explicit_little_endian.dcm";
  auto enc = encrypt(image, "-q");
  ASSERT_EQ(enc.exit_code, 0) << enc.out;
  auto info = run_medcrypt("info " + quote(dir / "c.mct") + " --json");
  ASSERT_EQ(info.exit_code, 0) << info.out;
  const auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["lossless"], false) << info.out;
  auto text = run_medcrypt("info " + quote(dir / "c.mct"));
  EXPECT_NE(text.out.find("LOSSY"), std::string::npos) << text.out;
  auto dec = run_medcrypt("decrypt " + quote(dir / "c.mct") + " -o " + quote(dir / "back.dcm") + " --key " + quote(dir / "k"));
  ASSERT_EQ(dec.exit_code, 0) << dec.out;
  EXPECT_NE(dec.out.find("LOSSY"), std::string::npos) << dec.out;
  // pydicom reads the restored file: same geometry and pixel representation, values close, not equal.
  auto py = run_command(system_python() + " -c \"import pydicom, numpy as np; a = pydicom.dcmread('" + image.string() +
                        "').pixel_array.astype(float); b = pydicom.dcmread('" + (dir / "back.dcm").string() +
                        "'); print(b.pixel_array.shape, b.PixelRepresentation, b.BitsStored, "
                        "int(np.array_equal(a, b.pixel_array)), round(float(np.corrcoef(a.ravel(), b.pixel_array.ravel())[0,1]), 2) > 0.9)\"");
  ASSERT_EQ(py.exit_code, 0) << py.out;
  EXPECT_EQ(py.out, "(512, 512) 1 16 0 True\n");
}

TEST_F(AeAesCli, TamperedContainerAndOtherModelsAreRefused) {
  ASSERT_EQ(encrypt(shared_data() / "png" / "retina_512.png", "-q").exit_code, 0);
  Bytes sealed = read_file(dir / "c.mct", 1 << 30).value();
  Bytes bad = sealed;
  bad[bad.size() / 2] ^= 0x40;
  ASSERT_TRUE(write_file_atomic(dir / "bad.mct", bad));
  auto r = run_medcrypt("decrypt " + quote(dir / "bad.mct") + " -o " + quote(dir / "x.png") + " --key " + quote(dir / "k"));
  EXPECT_EQ(r.exit_code, 8) << r.out;  // authentication
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));

  // Other models installed: a copy of the shipped RGB model retrained for one step has another digest.
  const auto models = dir / "models";
  std::filesystem::create_directories(models);
  std::filesystem::copy(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models" / "ae-aes-gray.weights", models);
  auto train = run_medcrypt("train autoencoder --data " + quote(shared_data() / "png" / "dermoscopy") +
                            " --epochs 1 --steps 1 --batch 2 --patch 32 --threads 1 --test-fraction 0.2 --out " +
                            quote(models / "ae-aes-rgb.weights"));
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_NE(train.out.find("wrote"), std::string::npos) << train.out;
  r = run_command("MEDCRYPT_MODELS=" + quote(models) + " " + MEDCRYPT_CLI + " decrypt " + quote(dir / "c.mct") + " -o " +
                  quote(dir / "x.png") + " --key " + quote(dir / "k") + "");
  EXPECT_EQ(r.exit_code, 10) << r.out;  // version: not the model it was made with
  EXPECT_NE(r.out.find("was made with the rgb model"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));

  // The model it was made with, kept beside the new one as ae-aes-rgb-DIGEST16.weights, opens it.
  const std::string params = nlohmann::json::parse(run_medcrypt("info " + quote(dir / "c.mct") + " --json").out)["scheme_params"];
  const auto at = params.find("rgb=");
  ASSERT_NE(at, std::string::npos) << params;
  const auto earlier = models / ("ae-aes-rgb-" + params.substr(at + 4, 16) + ".weights");
  std::filesystem::copy_file(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "models" / "ae-aes-rgb.weights", earlier);
  r = run_command("MEDCRYPT_MODELS=" + quote(models) + " " + MEDCRYPT_CLI + " decrypt " + quote(dir / "c.mct") + " -o " +
                  quote(dir / "x.png") + " --key " + quote(dir / "k") + "");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "x.png"));
  std::filesystem::remove(dir / "x.png");
  // An altered earlier model is refused by its SHA-256, and nothing is written.
  Bytes kept = read_file(earlier, 1 << 30).value();
  kept[kept.size() / 2] ^= 1;
  ASSERT_TRUE(write_file_atomic(earlier, kept));
  r = run_command("MEDCRYPT_MODELS=" + quote(models) + " " + MEDCRYPT_CLI + " decrypt " + quote(dir / "c.mct") + " -o " +
                  quote(dir / "x.png") + " --key " + quote(dir / "k") + "");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("SHA-256 mismatch"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));
  std::filesystem::remove(earlier);

  // An altered model file is refused by its SHA-256.
  Bytes weights = read_file(models / "ae-aes-rgb.weights", 1 << 30).value();
  weights[weights.size() / 2] ^= 1;
  ASSERT_TRUE(write_file_atomic(models / "ae-aes-rgb.weights", weights));
  r = run_command("MEDCRYPT_MODELS=" + quote(models) + " " + MEDCRYPT_CLI + " encrypt " +
                  quote(shared_data() / "png" / "retina_512.png") + " -o " + quote(dir / "y.mct") + " --key " +
                  quote(dir / "k") + " --scheme ae-aes");
  EXPECT_EQ(r.exit_code, 8) << r.out;
  EXPECT_NE(r.out.find("SHA-256 mismatch"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "y.mct"));
}

TEST_F(AeAesCli, MissingTorchModuleIsOneClearLine) {
  auto r = run_command("MEDCRYPT_TORCH_MODULE=/nonexistent/libmedcrypt_torch.so " + std::string(MEDCRYPT_CLI) +
                       " encrypt " + quote(shared_data() / "png" / "retina_512.png") + " -o " + quote(dir / "y.mct") +
                       " --key " + quote(dir / "k") + " --scheme ae-aes");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("cannot load the deep learning module"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "y.mct"));
  // Commands without a network never load it.
  r = run_command("MEDCRYPT_TORCH_MODULE=/nonexistent " + std::string(MEDCRYPT_CLI) + " encrypt " +
                  quote(shared_data() / "png" / "retina_512.png") + " -o " + quote(dir / "z.mct") + " --key " +
                  quote(dir / "k") + " -q");
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(AeAesCli, EvalReportsTheTestSplitFilesAndNoise) {
  auto r = run_medcrypt("eval autoencoder --data " + quote(shared_data() / "train" / "ct_tcga_luad_128") +
                        " --channels 1 --min-side 48 " + quote(shared_data() / "png" / "CT1_chest_512.png") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["test_split"]["images"], 9);
  EXPECT_GT(j["test_split"]["ssim"].get<double>(), 0.9);
  ASSERT_EQ(j["images"].size(), 1u);
  EXPECT_EQ(j["images"][0]["width"], 512);
  // --side resamples the test images first (paper 002's way): the same 9 images, measured at 64x64.
  r = run_medcrypt("eval autoencoder --data " + quote(shared_data() / "train" / "ct_tcga_luad_128") +
                   " --channels 1 --side 64 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto small = nlohmann::json::parse(r.out);
  EXPECT_EQ(small["test_split"]["images"], 9);
  EXPECT_EQ(small["test_split"]["side"], 64);
  EXPECT_EQ(j["test_split"]["side"], 0);
  EXPECT_NE(small["test_split"]["ssim"].get<double>(), j["test_split"]["ssim"].get<double>());
  r = run_medcrypt("eval denoise --data " + quote(shared_data() / "train" / "ct_tcga_luad_128") + " --channels 1 --limit 20");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* noise : {"salt-and-pepper", "speckle", "poisson", "gaussian"}) {
    EXPECT_NE(r.out.find(noise), std::string::npos) << r.out;
  }
  r = run_medcrypt("eval autoencoder --data /nonexistent");
  EXPECT_EQ(r.exit_code, 3) << r.out;
}

// Paper 002's Table 6 beside ours: a clean row and each noise with the paper's figures; --calibrate finds
// the level whose noisy SSIM is the paper's; a bad --noise is one line and exit 2.
TEST_F(AeAesCli, DenoiseCalibratesToThePapersNoisyColumns) {
  const std::string data = "eval denoise --data " + quote(shared_data() / "train" / "ct_tcga_luad_128") +
                           " --channels 1 --limit 20";
  auto r = run_medcrypt(data + " --calibrate --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["calibrated"].get<bool>());
  ASSERT_EQ(j["rows"].size(), 5u);
  EXPECT_EQ(j["rows"][0]["noise"], "none");
  EXPECT_DOUBLE_EQ(j["rows"][0]["paper"]["decoded_ssim"].get<double>(), 0.9528);
  for (std::size_t i = 1; i < 5; ++i) {
    const auto& row = j["rows"][i];
    SCOPED_TRACE(row.dump());
    // Speckle on these dark CT slices cannot fall as low as the paper's 0.06 (black stays black).
    if (row["noise"].get<std::string>().rfind("speckle", 0) == 0) continue;
    EXPECT_NEAR(row["noisy_ssim"].get<double>(), row["paper"]["noisy_ssim"].get<double>(), 0.01);
  }
  r = run_medcrypt(data + " --noise gaussian=0.01 --noise poisson=100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto k = nlohmann::json::parse(r.out);
  ASSERT_EQ(k["rows"].size(), 3u);
  EXPECT_EQ(k["rows"][2]["noise"], "poisson (100 counts at full scale)");
  for (const char* bad : {"pink=1", "speckle", "speckle=-1", "gaussian=x"}) {
    r = run_medcrypt(data + " --noise " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
}

}  // namespace
}  // namespace medcrypt::test
