#include "src/oci/criu_images.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace crh {

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kImgCommonMagic = 0x54564319;   // CRIU's IMG_COMMON_MAGIC
constexpr uint32_t kImgServiceMagic = 0x55105940;  // IMG_SERVICE_MAGIC: inventory, stats, irmap
constexpr uint32_t kStatsMagic = 0x57093306;       // STATS_MAGIC
constexpr size_t kMaxEntry = 16 << 20;             // no entry crh reads is near this

uint32_t LoadLe32(std::string_view d, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d[at + i]);
  return v;
}

void AppendLe32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// The entries after the two magics, as views into `d`. The first magic must be `outer`; the
// type magic is the caller's to check (mountpoints images are read whatever their type says,
// as before stats existed).
Result<std::vector<std::string_view>> Entries(std::string_view d, const std::string& source,
                                              uint32_t outer) {
  if (d.size() < 8 || LoadLe32(d, 0) != outer) {
    return DataLoss(source + " is not a CRIU image (no image magic)");
  }
  std::vector<std::string_view> out;
  size_t off = 8;
  for (int n = 0; off < d.size(); ++n) {
    if (d.size() - off < 4) {
      return DataLoss(source + ": entry " + std::to_string(n) + " has a truncated length");
    }
    const uint32_t len = LoadLe32(d, off);
    off += 4;
    if (len > kMaxEntry || len > d.size() - off) {
      return DataLoss(source + ": entry " + std::to_string(n) + " claims " +
                      std::to_string(len) + " bytes, " + std::to_string(d.size() - off) +
                      " remain");
    }
    out.push_back(d.substr(off, len));
    off += len;
  }
  return out;
}

Result<std::string> Slurp(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path.string() + " does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Status ParseFile(const fs::path& path, std::vector<criu::MntEntry>* out) {
  auto d = Slurp(path);
  if (!d.ok()) return Unavailable("cannot read " + path.string());
  CRH_ASSIGN_OR_RETURN(auto entries, Entries(*d, path.string(), kImgCommonMagic));
  for (size_t n = 0; n < entries.size(); ++n) {
    criu::MntEntry e;
    if (!e.ParseFromArray(entries[n].data(), static_cast<int>(entries[n].size()))) {
      return DataLoss(path.string() + ": entry " + std::to_string(n) + " does not decode");
    }
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

// Every set scalar field of `m`, by its .proto name. Reflection rather than a list of getters:
// a field added to criu_stats.proto is printed without another line of code here.
std::vector<std::pair<std::string, uint64_t>> Figures(const google::protobuf::Message& m) {
  using google::protobuf::FieldDescriptor;
  std::vector<const FieldDescriptor*> set;
  m.GetReflection()->ListFields(m, &set);  // in field-number order
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const FieldDescriptor* f : set) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_UINT32:
        out.emplace_back(f->name(), m.GetReflection()->GetUInt32(m, f));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        out.emplace_back(f->name(), m.GetReflection()->GetUInt64(m, f));
        break;
      default: break;  // criu_stats.proto has no other kind
    }
  }
  return out;
}

}  // namespace

Result<std::vector<criu::MntEntry>> ReadMountpoints(const std::string& image_dir) {
  std::vector<criu::MntEntry> out;
  bool any = false;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(image_dir, ec)) {
    if (entry.path().filename().string().rfind("mountpoints-", 0) != 0) continue;
    any = true;
    CRH_RETURN_IF_ERROR(ParseFile(entry.path(), &out));
  }
  if (!any) return NotFound("no mountpoints-*.img in " + image_dir);
  return out;
}

std::optional<uint64_t> CriuStats::Get(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Result<CriuStats> DecodeStatsImage(std::string_view bytes, const std::string& source) {
  if (bytes.size() >= 8 && LoadLe32(bytes, 0) == kImgServiceMagic &&
      LoadLe32(bytes, 4) != kStatsMagic) {
    char magic[16];
    std::snprintf(magic, sizeof magic, "0x%08x", LoadLe32(bytes, 4));
    return DataLoss(source + " is a CRIU image but not a stats image (type magic " + magic + ")");
  }
  CRH_ASSIGN_OR_RETURN(auto entries, Entries(bytes, source, kImgServiceMagic));
  if (entries.size() != 1) {
    return DataLoss(source + ": a stats image holds one entry, this one " +
                    std::to_string(entries.size()));
  }
  criu::StatsEntry e;
  if (!e.ParseFromArray(entries[0].data(), static_cast<int>(entries[0].size()))) {
    return DataLoss(source + ": entry 0 does not decode as CRIU's stats_entry");
  }
  if (e.has_dump() == e.has_restore()) {
    return DataLoss(source + ": the stats entry holds " +
                    (e.has_dump() ? "both dump and restore figures" : "neither dump nor restore "
                                                                      "figures"));
  }
  CriuStats out;
  out.kind = e.has_dump() ? "dump" : "restore";
  out.fields = e.has_dump() ? Figures(e.dump()) : Figures(e.restore());
  return out;
}

Result<CriuStats> ReadStats(const std::string& path) {
  CRH_ASSIGN_OR_RETURN(std::string bytes, Slurp(path));
  return DecodeStatsImage(bytes, path);
}

std::string EncodeStatsImage(const criu::StatsEntry& entry) {
  std::string out;
  AppendLe32(out, kImgServiceMagic);
  AppendLe32(out, kStatsMagic);
  const std::string body = entry.SerializeAsString();
  AppendLe32(out, static_cast<uint32_t>(body.size()));
  return out + body;
}

}  // namespace crh
