// text_bench: the text analyser's own throughput on one core (issue 11),
// for scripts/bench. One thread analyses the sentences of the evaluation set
// (tests/data/text/eval.tsv: short and long, three scripts) round and round,
// then one 60-character review alone, and reports sentences per second of
// wall time and of the thread's own CPU time (the second does not drop when
// a shared machine is busy). Not a test: it measures and never fails on a
// number.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/text/analyzer.h"
#include "common/validation.h"

ABSL_FLAG(double, seconds, 3, "measured time per run");
ABSL_FLAG(std::string, segmenter, "both", "dictionary, icu or both");
ABSL_FLAG(std::string, data, RETAIL_TEST_DATA_DIR "/text/eval.tsv",
          "sentences to analyse: the last tab-separated column of each line "
          "after the header");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace {

using retail::text::Analyzer;
using retail::text::AnalyzerOptions;
using retail::text::SegmenterKind;

// A review of 60 characters, the size the RPC target names.
constexpr char kReview60[] =
    "上周买的羊毛外套质量不错，但是物流太慢了，等了五天才到，"
    "客服态度也不太好，希望改进一下，退换货流程也要简单一点，谢谢啦。";

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Run {
  double per_wall_second = 0;
  double per_cpu_second = 0;
  double mean_micros = 0;
  long calls = 0;
};

Run Measure(const Analyzer& analyzer, const std::vector<std::string>& texts,
            double seconds) {
  // Warm up: first calls touch the dictionaries' pages.
  for (const std::string& t : texts) (void)analyzer.Analyze(t);
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  long calls = 0;
  size_t sink = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const std::string& t : texts) {
      absl::StatusOr<retail::text::Analysis> a = analyzer.Analyze(t);
      sink += a.ok() ? a->segments.size() : 0;
      ++calls;
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const double cpu = ThreadCpuSeconds() - cpu_start;
  if (sink == 0) std::cerr << "text_bench: no segments at all?\n";
  return {calls / wall, calls / cpu, 1e6 * cpu / calls, calls};
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::ifstream in(absl::GetFlag(FLAGS_data));
  if (!in.good()) {
    std::cerr << "text_bench: cannot read " << absl::GetFlag(FLAGS_data)
              << "\n";
    return 2;
  }
  std::vector<std::string> texts;
  size_t chars = 0;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    texts.push_back(cols.back());
    chars += *retail::Utf8Length(texts.back());
  }
  if (texts.empty()) {
    std::cerr << "text_bench: no sentences\n";
    return 2;
  }

  std::vector<SegmenterKind> kinds;
  const std::string which = absl::GetFlag(FLAGS_segmenter);
  if (which == "dictionary" || which == "both")
    kinds.push_back(SegmenterKind::kDictionary);
  if (which == "icu" || which == "both") kinds.push_back(SegmenterKind::kIcu);
  if (kinds.empty()) {
    std::cerr << "text_bench: --segmenter must be dictionary, icu or both\n";
    return 2;
  }

  const double seconds = absl::GetFlag(FLAGS_seconds);
  std::string json = "{\n  \"runs\": [\n";
  for (SegmenterKind kind : kinds) {
    const char* name = kind == SegmenterKind::kIcu ? "icu" : "dictionary";
    AnalyzerOptions options;
    options.segmenter = kind;
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<Analyzer>> analyzer =
        Analyzer::Create(options);
    const double load =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (!analyzer.ok()) {
      std::cerr << "text_bench: " << analyzer.status() << "\n";
      return 1;
    }
    const Run mix = Measure(**analyzer, texts, seconds);
    const Run review = Measure(**analyzer, {kReview60}, seconds);
    std::printf(
        "text_bench: %-10s load %.2f s | eval set (%zu sentences, mean %.0f "
        "chars): %.0f sentences/s wall, %.0f per CPU-second, %.1f us each | "
        "60-char review: %.0f/s wall, %.0f per CPU-second, %.1f us each\n",
        name, load, texts.size(), double(chars) / texts.size(),
        mix.per_wall_second, mix.per_cpu_second, mix.mean_micros,
        review.per_wall_second, review.per_cpu_second, review.mean_micros);
    absl::StrAppendFormat(
        &json,
        "    {\"segmenter\": \"%s\", \"load_seconds\": %.3f, "
        "\"sentences_per_second\": %.0f, \"sentences_per_cpu_second\": %.0f, "
        "\"review60_per_second\": %.0f, \"review60_per_cpu_second\": %.0f}%s\n",
        name, load, mix.per_wall_second, mix.per_cpu_second,
        review.per_wall_second, review.per_cpu_second,
        kind == kinds.back() ? "" : ",");
  }
  json += "  ]\n}\n";
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream(path) << json;
  }
  return 0;
}
