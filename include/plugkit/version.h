/* plugkit/version.h -- library version and the plugin ABI number.
 * SPDX-License-Identifier: MIT */
#ifndef PLUGKIT_VERSION_H
#define PLUGKIT_VERSION_H

#define PK_VERSION_MAJOR 0
#define PK_VERSION_MINOR 1
#define PK_VERSION_PATCH 0
#define PK_VERSION_STRING "0.1.0"
#define PK_VERSION_HEX                                                         \
  ((PK_VERSION_MAJOR << 16) | (PK_VERSION_MINOR << 8) | PK_VERSION_PATCH)

/* PK_PLUGIN_ABI is the version of the plugin-facing contract: the plugin
 * descriptor and the host-API table in plugkit/plugin.h.  Bump it only when
 * that contract breaks (a field changes meaning or moves).  Appending a field
 * to the descriptor or a function to the API table does NOT bump it: both
 * carry their own size, which tells what is present. */
#define PK_PLUGIN_ABI 1

#endif
