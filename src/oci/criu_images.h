#pragma once
// Reading CRIU images that crh needs to understand, decoded with Debian's protobuf library.
//
// A CRIU image file starts with two 32-bit magics (the common image magic and the image type's),
// followed by entries, each a little-endian u32 length and one serialized protobuf message.

#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/oci/criu_mnt.pb.h"

namespace crh {

// Every mount entry of every mountpoints-*.img in `image_dir`. kNotFound when the directory has
// no mountpoints image; kDataLoss naming the file and the entry for a truncated or undecodable
// entry.
Result<std::vector<criu::MntEntry>> ReadMountpoints(const std::string& image_dir);

}  // namespace crh
