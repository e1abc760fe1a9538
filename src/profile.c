/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * profile.c - TOML profiles
 *
 * A profile is a TOML file of SPEC.md §2 keys. Loading one means: read the
 * file (bounded), parse it with the TOML subset reader, check every key
 * against the settings table (type and value rules, the same as the command
 * line), resolve relative paths against the profile's own folder, and, when
 * it says `extends`, load the parent first and lay the child over it. The
 * chain is followed by real path, so a cycle is found however the files
 * spell each other, and printed as the chain that closes it.
 */
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toml.h"
#include "util.h"

/* profile_type_name() - what a value of @type must be, for messages */
static const char *profile_type_name(enum setting_type type)
{
	switch (type) {
	case SETTING_BOOL:
		return "a boolean (true or false)";
	case SETTING_LIST:
		return "an array of strings";
	case SETTING_STRING:
	case SETTING_PATH:
		return "a string";
	}
	return "?";
}

/* profile_toml_type_name() - what a TOML value is, for messages */
static const char *profile_toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_STRING:
		return "a string";
	case TOML_BOOL:
		return "a boolean";
	case TOML_INT:
		return "an integer";
	case TOML_ARRAY:
		return "an array";
	}
	return "?";
}

/* profile_apply_entry() - check one TOML entry and set it in @out */
static int profile_apply_entry(const char *name, const char *dir,
			       const struct toml_entry *e, struct settings *out,
			       char *err, size_t errlen)
{
	const struct setting_info *info;
	char origin[PATH_MAX + 32], reason[512];
	enum toml_type want;
	int key = settings_lookup(e->key);
	size_t i;

	if (key < 0) {
		snprintf(
			err, errlen,
			"%s:%d: unknown key '%s' (see docs/profile.md for the keys)",
			name, e->line, e->key);
		return -1;
	}
	info = &setting_table[key];
	switch (info->type) {
	case SETTING_BOOL:
		want = TOML_BOOL;
		break;
	case SETTING_LIST:
		want = TOML_ARRAY;
		break;
	default:
		want = TOML_STRING;
	}
	if (e->value.type != want) {
		snprintf(err, errlen, "%s:%d: key '%s' must be %s, not %s",
			 name, e->line, e->key, profile_type_name(info->type),
			 profile_toml_type_name(e->value.type));
		return -1;
	}

	snprintf(origin, sizeof(origin), "%s:%d", name, e->line);

	if (want == TOML_BOOL) {
		settings_set_bool(out, key, e->value.boolean, origin, false);
		return 0;
	}

	if (want == TOML_STRING) {
		char *v = settings_check(key, e->value.str, reason,
					 sizeof(reason));

		if (!v) {
			snprintf(err, errlen, "%s:%d: key '%s': %s", name,
				 e->line, e->key, reason);
			return -1;
		}
		if (info->type == SETTING_PATH) {
			char *abs = path_join_normalize(dir, v);

			free(v);
			v = abs;
		}
		settings_set_str(out, key, v, origin, false);
		free(v);
		return 0;
	}

	if (key == SET_COMMAND && !e->value.n_items) {
		snprintf(
			err, errlen,
			"%s:%d: key 'command' must name a program: the array is empty",
			name, e->line);
		return -1;
	}
	settings_set_list(out, key, NULL, 0, origin, false);
	for (i = 0; i < e->value.n_items; i++) {
		char *v = settings_check(key, e->value.items[i], reason,
					 sizeof(reason));

		if (!v) {
			snprintf(err, errlen, "%s:%d: key '%s', item %zu: %s",
				 name, e->line, e->key, i + 1, reason);
			return -1;
		}
		settings_append(out, key, v, origin, false);
		free(v);
	}
	return 0;
}

/* profile_mask_quoted() - copy the TOML reader's message @msg to @out
 * with every part it quotes ('...', the offending token) shown as '***':
 * for keys whose value may be a password (proxy_password, proxy with
 * credentials in the URI), which no error message may show
 */
static void profile_mask_quoted(const char *msg, char *out, size_t len)
{
	size_t o = 0;
	bool inside = false;

	for (; *msg && o + 4 < len; msg++) {
		if (*msg == '\'') {
			if (!inside) {
				memcpy(out + o, "'***", 4);
				o += 4;
			} else {
				out[o++] = '\'';
			}
			inside = !inside;
		} else if (!inside) {
			out[o++] = *msg;
		}
	}
	out[o] = '\0';
}

int profile_parse_text(const char *name, const char *dir, const char *text,
		       size_t len, struct settings *out, char *err,
		       size_t errlen)
{
	struct toml_error terr;
	struct toml_doc doc;
	size_t i;
	int rc = 0;

	if (toml_parse(text, len, &doc, &terr)) {
		if (!strcmp(terr.key, "proxy_password") ||
		    !strcmp(terr.key, "proxy")) {
			char msg[sizeof(terr.msg)];

			profile_mask_quoted(terr.msg, msg, sizeof(msg));
			snprintf(err, errlen, "%s:%d: key '%s': %s", name,
				 terr.line, terr.key, msg);
		} else if (terr.key[0])
			snprintf(err, errlen, "%s:%d: key '%s': %s", name,
				 terr.line, terr.key, terr.msg);
		else
			snprintf(err, errlen, "%s:%d: %s", name, terr.line,
				 terr.msg);
		return -1;
	}
	for (i = 0; i < doc.n_entries && !rc; i++)
		rc = profile_apply_entry(name, dir, &doc.entries[i], out, err,
					 errlen);
	toml_doc_free(&doc);
	return rc;
}

/* profile_read() - read a whole profile file, bounded by PROFILE_MAX_SIZE */
static char *profile_read(const char *path, size_t *len, char *err,
			  size_t errlen)
{
	struct stat st;
	size_t off = 0;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot read profile %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "cannot read profile %s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > PROFILE_MAX_SIZE) {
		snprintf(err, errlen,
			 "cannot read profile %s: larger than %d bytes", path,
			 PROFILE_MAX_SIZE);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
}

/* profile_load_chain() - load @path with its ancestors; @chain holds the real
 * paths of the profiles that extend this one, for cycle detection
 */
static int profile_load_chain(const char *path, char **chain, size_t depth,
			      struct settings *out, char *err, size_t errlen)
{
	struct settings own = {0};
	char *abs = path_absolute(path), *real, *dir, *text;
	size_t i, len;
	int rc = -1;

	real = realpath(abs, NULL);
	if (!real) {
		snprintf(err, errlen, "cannot read profile %s: %s", abs,
			 strerror(errno));
		free(abs);
		return -1;
	}
	for (i = 0; i < depth; i++) {
		if (strcmp(chain[i], real) != 0)
			continue;
		/* Print the cycle from where it closes */
		size_t off = (size_t)snprintf(err, errlen, "extends cycle: ");
		for (; i < depth && off < errlen; i++)
			off += (size_t)snprintf(err + off, errlen - off,
						"%s -> ", chain[i]);
		if (off < errlen)
			snprintf(err + off, errlen - off, "%s", real);
		goto out_real;
	}
	if (depth >= PROFILE_MAX_DEPTH) {
		snprintf(err, errlen,
			 "profile %s: extends chain is deeper than %d profiles",
			 abs, PROFILE_MAX_DEPTH);
		goto out_real;
	}
	chain[depth] = real;

	text = profile_read(abs, &len, err, errlen);
	if (!text)
		goto out_real;
	dir = path_dirname(abs);
	rc = profile_parse_text(abs, dir, text, len, &own, err, errlen);
	free(dir);
	free(text);
	if (rc)
		goto out_own;

	if (own.v[SET_EXTENDS].set) {
		rc = profile_load_chain(own.v[SET_EXTENDS].str, chain,
					depth + 1, out, err, errlen);
		if (rc)
			goto out_own;
	}
	settings_merge(out, &own);
	settings_unset(out, SET_EXTENDS);

out_own:
	settings_free(&own);
out_real:
	free(real);
	free(abs);
	return rc;
}

int profile_load(const char *path, struct settings *out, char *err,
		 size_t errlen)
{
	char *chain[PROFILE_MAX_DEPTH + 1];

	return profile_load_chain(path, chain, 0, out, err, errlen);
}
