// The progress line of long commands: its text, silence when disabled, and
// that counting runs changes none of their bits.
#include "common/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"
#include "tests/components/test_stack_model.hpp"

namespace stacksim {
namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
  return text;
}

TEST(Progress, LineShowsTheBarCountRateEtaAndWhatRuns) {
  // 12 of 40: 30 x 12 / 40 = 9 of the bar's 30 marks.
  EXPECT_EQ(progress_line(12, 40, 3.1, 9, "sim"),
            "[#########.....................] 12/40 3.1/s ETA 0:09 sim");
  EXPECT_EQ(progress_line(0, 5, -1, -1, ""), "[..............................] 0/5");
  EXPECT_EQ(progress_line(5, 5, 0.5, 125, "x"),
            "[##############################] 5/5 0.5/s ETA 2:05 x");
  // More done than known (a total that grew late) never overfills the bar.
  EXPECT_EQ(progress_line(7, 5, -1, -1, "").substr(0, 32), "[" + std::string(30, '#') + "]");
}

TEST(Progress, DisabledWritesNothing) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p("runs", 3, false, f);
    p.advance(3);
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

// run_jobs adds its jobs to the total and counts each as it finishes, on any
// thread; the results are the bits of a run without a progress line.
TEST(Progress, RunJobsCountsEveryRunAndKeepsTheBits) {
  const Model m = testing::uniform_model(10, 100);
  Scenario sc = testing::small_scenario();
  sc.requests = 400;
  sc.warmup_requests = 100;
  std::vector<RunJob> jobs;
  for (int r = 0; r < 3; ++r) {
    jobs.push_back({&sc, &m.stacks.at("sync"), r});
    jobs.push_back({&sc, &m.stacks.at("coroutine"), r});
  }
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  std::vector<RunResult> counted;
  {
    Progress p("runs", 0, true, f);
    counted = run_jobs(m, jobs, 2, &p);
  }
  const std::vector<RunResult> plain = run_jobs(m, jobs, 1);
  const std::string text = contents(f);
  std::fclose(f);
  // The last line written (at the end) counts every job.
  EXPECT_NE(text.rfind("] 6/6 "), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
  ASSERT_EQ(counted.size(), plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(counted[i].throughput_rps, plain[i].throughput_rps) << i;
    EXPECT_EQ(counted[i].p99_ms, plain[i].p99_ms) << i;
    EXPECT_EQ(counted[i].events, plain[i].events) << i;
  }
}

}  // namespace
}  // namespace stacksim
