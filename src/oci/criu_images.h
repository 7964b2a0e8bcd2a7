#pragma once
// Reading CRIU images that crh needs to understand, decoded with Debian's protobuf library.
//
// A CRIU image file starts with two 32-bit magics (the common image magic, or the service magic
// for inventory and stats images, then the image type's), followed by entries, each a
// little-endian u32 length and one serialized protobuf message.
//
// Example:
//   CRH_ASSIGN_OR_RETURN(CriuStats s, ReadStats(dir + "/stats-dump"));
//   std::optional<uint64_t> frozen = s.Get("frozen_time");   // microseconds

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/base/status.h"
#include "src/oci/criu_mnt.pb.h"
#include "src/oci/criu_stats.pb.h"

namespace crh {

// Every mount entry of every mountpoints-*.img in `image_dir`. kNotFound when the directory has
// no mountpoints image; kDataLoss naming the file and the entry for a truncated or undecodable
// entry.
Result<std::vector<criu::MntEntry>> ReadMountpoints(const std::string& image_dir);

// The figures of one CRIU stats image (stats-dump after a dump, stats-restore after a restore).
struct CriuStats {
  std::string kind;  // "dump" or "restore": which half of the entry the image holds
  // Every figure the image holds, named as in criu_stats.proto (CRIU's own names), in field
  // order. Times are microseconds, counts are pages.
  std::vector<std::pair<std::string, uint64_t>> fields;

  // The figure called `name`, or nullopt if the image does not hold it.
  std::optional<uint64_t> Get(std::string_view name) const;
};

// Decodes the bytes of a stats image; `source` (its path) names it in errors. kDataLoss saying
// what is wrong: no service magic, not a stats image, a truncated or undecodable entry, no
// entry or more than one, an entry with neither dump nor restore figures (or with both).
Result<CriuStats> DecodeStatsImage(std::string_view bytes, const std::string& source);

// Reads and decodes the stats image at `path`: kNotFound if there is no such file, kUnavailable
// if it cannot be read, otherwise as DecodeStatsImage.
Result<CriuStats> ReadStats(const std::string& path);

// A stats image holding `entry`, framed as CRIU writes it: for fakes and tests.
std::string EncodeStatsImage(const criu::StatsEntry& entry);

}  // namespace crh
