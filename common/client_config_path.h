#ifndef MPOWER_COMMON_CLIENT_CONFIG_PATH_H_
#define MPOWER_COMMON_CLIENT_CONFIG_PATH_H_

#include <string>

namespace mpower {

// Where the CLI's config file lives: $MPOWER_CONFIG, else
// $XDG_CONFIG_HOME/mpower/config, else ~/.config/mpower/config. mpowerd
// writes the local admin's credential there on first start and mpower
// reads it, so both must agree: both call this.
std::string ClientConfigPath();

}  // namespace mpower

#endif  // MPOWER_COMMON_CLIENT_CONFIG_PATH_H_
