#include "src/oci/criu_images.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace crh {

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kImgCommonMagic = 0x54564319;  // CRIU's IMG_COMMON_MAGIC
constexpr size_t kMaxEntry = 16 << 20;            // no mount entry is near this; a bad length is

uint32_t LoadLe32(const std::string& d, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d[at + i]);
  return v;
}

Status ParseFile(const fs::path& path, std::vector<criu::MntEntry>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read " + path.string());
  const std::string d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (d.size() < 8 || LoadLe32(d, 0) != kImgCommonMagic) {
    return DataLoss(path.string() + " is not a CRIU image (no image magic)");
  }
  size_t off = 8;
  for (int n = 0; off < d.size(); ++n) {
    if (d.size() - off < 4) return DataLoss(path.string() + ": entry " + std::to_string(n) +
                                            " has a truncated length");
    const uint32_t len = LoadLe32(d, off);
    off += 4;
    if (len > kMaxEntry || len > d.size() - off) {
      return DataLoss(path.string() + ": entry " + std::to_string(n) + " claims " +
                      std::to_string(len) + " bytes, " + std::to_string(d.size() - off) +
                      " remain");
    }
    criu::MntEntry e;
    if (!e.ParseFromArray(d.data() + off, static_cast<int>(len))) {
      return DataLoss(path.string() + ": entry " + std::to_string(n) + " does not decode");
    }
    out->push_back(std::move(e));
    off += len;
  }
  return Status::Ok();
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

}  // namespace crh
