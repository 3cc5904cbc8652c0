#include "calibrate/model_writer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "tests/support/input_error.hpp"
#include "tests/support/scratch_dir.hpp"

namespace stacksim::calibrate {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

namespace fs = std::filesystem;

class ModelWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
    model_.provenance = {{"kind", "calibrated"}, {"date", "2026-11-26"}};
  }
  stacksim::testing::ScratchDir scratch_{"stacksim-cal"};
  const fs::path dir_ = scratch_.path();
  Model model_;
};

TEST_F(ModelWriter, WrittenModelLoadsBackWithTheSameValues) {
  const std::string path = model_path(dir_.string(), "unit");
  EXPECT_EQ(path, (dir_ / "unit.json").string());
  write_model_atomically(model_, path);
  const Model back = load_model(path);
  EXPECT_EQ(to_json(back), to_json(model_));
  EXPECT_EQ(back.provenance.at("kind"), "calibrated");
}

// Replacing is a rename of a complete temporary file: a reader that opened
// the old file keeps reading the old inode in full, the path then names a
// new inode with the new content, and no temporary file is left behind.
TEST_F(ModelWriter, ReplacesAnExistingFileByRenameAndLeavesNoTemporary) {
  const std::string path = (dir_ / "m.json").string();
  { std::ofstream(path) << "old content\n"; }
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  std::ifstream old_reader(path);

  model_.label = "the new one";
  write_model_atomically(model_, path);

  std::stringstream old_text;
  old_text << old_reader.rdbuf();
  EXPECT_EQ(old_text.str(), "old content\n");
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(load_model(path).label, "the new one");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "m.json");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(ModelWriter, MissingDirectoryIsBadInputAndWritesNothing) {
  const std::string path = (dir_ / "nope" / "m.json").string();
  EXPECT_TRUE(says(input_error_of([&] { write_model_atomically(model_, path); }), "nope"));
  EXPECT_FALSE(fs::exists(dir_ / "nope"));
}

TEST_F(ModelWriter, LabelMustBeAName) {
  EXPECT_THROW(model_path(dir_.string(), "../escape"), InputError);
  EXPECT_THROW(model_path(dir_.string(), ""), InputError);
}

// A model the strict parser would refuse (a sync stack with concurrency 2)
// is a bug of the writer's caller: nothing reaches the disk.
TEST_F(ModelWriter, ModelThatDoesNotReadBackIsRefusedBeforeWriting) {
  model_.stacks.begin()->second.type = WorkerType::kSync;
  model_.stacks.begin()->second.max_concurrency = 2;
  const std::string path = (dir_ / "bad.json").string();
  EXPECT_THROW(write_model_atomically(model_, path), std::logic_error);
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace stacksim::calibrate
