/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * profile.h - TOML profiles: load with extends, merge, resolve paths
 */
#ifndef CHILDFLOW_PROFILE_H
#define CHILDFLOW_PROFILE_H

#include <stddef.h>

#include "settings.h"

#define PROFILE_MAX_DEPTH 32
#define PROFILE_MAX_SIZE  (4 << 20)

/* profile_load() - load @path and every profile it extends into @out
 * (parent first, then child), with relative paths made absolute against the
 * folder of the profile that set them.
 * Return: 0, or -1 with a one-line message in @err naming the file, line and
 * key (e.g. "/p/a.toml:3: unknown key 'foo'"), or the cycle
 * ("extends cycle: /p/a.toml -> /p/b.toml -> /p/a.toml").
 */
int profile_load(const char *path, struct settings *out, char *err,
		 size_t errlen);

/* profile_parse_text() - apply the profile @text (named @name, in folder
 * @dir) onto @out, without following extends; the extends value, if any, is
 * left in @out as an absolute path. For tests and profile_load().
 */
int profile_parse_text(const char *name, const char *dir, const char *text,
		       size_t len, struct settings *out, char *err,
		       size_t errlen);

#endif /* CHILDFLOW_PROFILE_H */
