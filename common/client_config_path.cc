#include "common/client_config_path.h"

#include <cstdlib>

namespace mpower {

std::string ClientConfigPath() {
  if (const char* path = std::getenv("MPOWER_CONFIG"); path != nullptr && *path != '\0') {
    return path;
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/mpower/config";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/mpower/config";
}

}  // namespace mpower
