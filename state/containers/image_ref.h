// image_ref.h — splitting an image reference into repository, tag, digest.
//
// Docker's grammar (distribution/reference): [host[:port]/]path[:tag][@digest].
// A ':' after the last '/' starts the tag; one before it belongs to the
// registry host's port. A reference with neither tag nor digest means
// "latest" (Docker's default), as Falco's container.image.tag shows.
#pragma once

#include <string>
#include <string_view>

namespace kestrel {

struct ImageRef {
  std::string repository;
  std::string tag;
  std::string digest;  // "sha256:..." or ""
};

ImageRef parse_image_ref(std::string_view ref);

}  // namespace kestrel
