#include "state/containers/image_ref.h"

namespace kestrel {

ImageRef parse_image_ref(std::string_view ref) {
  ImageRef out;
  if (auto at = ref.find('@'); at != std::string_view::npos) {
    out.digest = std::string(ref.substr(at + 1));
    ref = ref.substr(0, at);
  }
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.tag = std::string(ref.substr(colon + 1));
    ref = ref.substr(0, colon);
  } else if (out.digest.empty() && !ref.empty()) {
    out.tag = "latest";
  }
  out.repository = std::string(ref);
  return out;
}

}  // namespace kestrel
