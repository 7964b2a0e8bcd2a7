// Goal: crh decodes CRIU's stats images exactly as CRIU's own decoder does, and says precisely
// what is wrong with one it cannot decode.
// Method: real stats-dump and stats-restore images from checkpoints of a busybox container on
// runc-1.3.6 and crun-1.28 with CRIU 4.2.1 (src/oci/testdata), each next to what
// `crit decode --pretty` (python3-pycriu 4.2.1) printed for it: every field crit shows must be
// in crh's decoding with the same value, and crh must show no field crit does not. Then damaged
// copies of a real image, and a round trip through EncodeStatsImage.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "src/base/status_matchers.h"
#include "src/oci/criu_images.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kData = "src/oci/testdata/";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CritAgreementTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CritAgreementTest, EveryFieldAgreesWithCrit) {
  const std::string image = kData + GetParam();
  auto crit = nlohmann::ordered_json::parse(ReadAll(image + ".crit.json"));
  ASSERT_EQ(crit["magic"], "STATS");
  ASSERT_EQ(crit["entries"].size(), 1u);
  const auto& entry = crit["entries"][0];
  ASSERT_EQ(entry.size(), 1u);
  const std::string kind = entry.begin().key();

  auto got = ReadStats(image);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->kind, kind);
  ASSERT_EQ(got->fields.size(), entry[kind].size()) << "crh and crit see different field sets";
  size_t i = 0;
  for (const auto& [name, value] : entry[kind].items()) {
    // crit prints fields in field-number order, as crh keeps them.
    EXPECT_EQ(got->fields[i].first, name);
    EXPECT_EQ(got->fields[i].second, value.get<uint64_t>()) << name;
    ++i;
  }
}

INSTANTIATE_TEST_SUITE_P(RealImages, CritAgreementTest,
                         ::testing::Values("runc-1.3.6-stats-dump", "runc-1.3.6-stats-restore",
                                           "crun-1.28-stats-dump", "crun-1.28-stats-restore"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(CriuStatsTest, RealDumpHoldsThePodmanFigures) {
  auto s = ReadStats(kData + "runc-1.3.6-stats-dump");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->Get("freezing_time"), 100863u);
  EXPECT_EQ(s->Get("frozen_time"), 84767u);
  EXPECT_EQ(s->Get("memdump_time"), 1102u);
  EXPECT_EQ(s->Get("memwrite_time"), 223u);
  EXPECT_EQ(s->Get("pages_scanned"), 47u);
  EXPECT_EQ(s->Get("pages_written"), 33u);
  EXPECT_EQ(s->Get("restore_time"), std::nullopt);
}

TEST(CriuStatsTest, MissingFileIsNotFound) {
  EXPECT_THAT(ReadStats("/nonexistent/stats-dump"),
              StatusIs(Code::kNotFound, HasSubstr("/nonexistent/stats-dump")));
}

TEST(CriuStatsTest, DamagedImagesNameTheFileAndTheFault) {
  const std::string real = ReadAll(kData + "runc-1.3.6-stats-dump");
  ASSERT_GT(real.size(), 12u);
  struct Case {
    std::string what, bytes, says;
  };
  std::string other_type = real;
  other_type[4] ^= 0x5a;
  std::string no_entry = real.substr(0, 8);
  std::string garbage = real.substr(0, 12) + std::string(real.size() - 12, '\xff');
  std::string empty_entry = real.substr(0, 8) + std::string("\0\0\0\0", 4);
  const std::vector<Case> cases = {
      {"empty", "", "no image magic"},
      {"text", "dump: frozen_time=100\n", "no image magic"},
      {"mountpoints image", ReadAll(kData + "crun-1.28-root-tmp-cr1-mountpoints-13.img"),
       "no image magic"},
      {"other type", other_type, "not a stats image"},
      {"truncated entry", real.substr(0, real.size() - 5), "entry 0 claims"},
      {"truncated length", real.substr(0, 10), "truncated length"},
      {"no entry", no_entry, "holds one entry, this one 0"},
      {"two entries", real + real.substr(8), "this one 2"},
      {"garbage", garbage, "does not decode"},
      {"empty entry", empty_entry, "neither dump nor restore"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(DecodeStatsImage(c.bytes, "/x/stats-dump"),
                StatusIs(Code::kDataLoss, AllOf(HasSubstr("/x/stats-dump"), HasSubstr(c.says))))
        << c.what;
  }
}

TEST(CriuStatsTest, EncodedImageDecodesToTheSameFigures) {
  criu::StatsEntry e;
  e.mutable_restore()->set_pages_compared(3);
  e.mutable_restore()->set_pages_skipped_cow(0);
  e.mutable_restore()->set_forking_time(50);
  e.mutable_restore()->set_restore_time(150);
  const std::string bytes = EncodeStatsImage(e);
  EXPECT_EQ(bytes.substr(0, 8), ReadAll(kData + "runc-1.3.6-stats-restore").substr(0, 8))
      << "the same magics CRIU writes";
  auto s = DecodeStatsImage(bytes, "mem");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->kind, "restore");
  using P = std::pair<std::string, uint64_t>;
  EXPECT_THAT(s->fields, ::testing::ElementsAre(P{"pages_compared", 3}, P{"pages_skipped_cow", 0},
                                                P{"forking_time", 50}, P{"restore_time", 150}));
}

}  // namespace
}  // namespace crh
