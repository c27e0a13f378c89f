/* Loading provider modules: find, dlopen, check the descriptor, check a
 * `providers` entry against the options the module declares.  A module is
 * refused before any of its code runs if its ABI or size do not fit. */
#include "plugin_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

/* Loaded modules, by resolved path: two instances share one handle. */
static plugin_module_t **modules;
static size_t n_modules;

/* The descriptor's fixed members, checked before the module is used. */
static int check_descriptor(const char *path, const ddns_plugin_t *d,
                            char *err, size_t errlen)
{
	if (d->abi != DDNS_PLUGIN_ABI) {
		snprintf(err, errlen, "plugin %s: built for plugin ABI %u, this ddnsd "
		         "speaks ABI %d", path, (unsigned)d->abi, DDNS_PLUGIN_ABI);
		return DDNS_EABI;
	}
	/* Larger: a newer header of the same ABI (members we do not know are
	 * ignored).  Smaller, down to ABI 1's first descriptor: an older one
	 * (what it lacks counts as NULL, see plugin_module_load). */
	if (d->size < DDNS_PLUGIN_SIZE_MIN) {
		snprintf(err, errlen, "plugin %s: descriptor size %u, smaller than any "
		         "<ddns/plugin.h> of ABI %d made (%zu to %zu here): rebuild it "
		         "against this ddnsd's <ddns/plugin.h>", path, (unsigned)d->size,
		         DDNS_PLUGIN_ABI, (size_t)DDNS_PLUGIN_SIZE_MIN, sizeof(ddns_plugin_t));
		return DDNS_EABI;
	}
	const char *missing = d->name == NULL ? "name"
		: d->create == NULL ? "create"
		: d->update == NULL ? "update"
		: d->destroy == NULL ? "destroy" : NULL;
	if (missing != NULL) {
		snprintf(err, errlen, "plugin %s: descriptor has no %s", path, missing);
		return DDNS_EABI;
	}
	for (const ddns_option_t *o = d->options; o != NULL && o->name != NULL; o++) {
		if (o->type < DDNS_OPT_STRING || o->type > DDNS_OPT_LIST) {
			snprintf(err, errlen, "plugin %s: option %s has unknown type %d",
			         path, o->name, (int)o->type);
			return DDNS_EABI;
		}
	}
	return 0;
}

static char *module_path(const char *name_or_path, const char *plugin_dir,
                         char *err, size_t errlen, int *rc)
{
	char *path = NULL;
	*rc = -EINVAL;
	if (strchr(name_or_path, '/') != NULL) {
		if (name_or_path[0] != '/') {
			snprintf(err, errlen, "plugin %s: a plugin path must be absolute",
			         name_or_path);
			return NULL;
		}
		path = strdup(name_or_path);
	} else if (!conf_plugin_name_valid(name_or_path)) {
		snprintf(err, errlen, "plugin \"%s\": a plugin name is a plain word "
		         "([a-z0-9_-]) or an absolute path", name_or_path);
		return NULL;
	} else if (plugin_dir == NULL) {
		snprintf(err, errlen, "plugin %s: no plugin_dir to look it up in",
		         name_or_path);
		return NULL;
	} else if (asprintf(&path, "%s/%s.so", plugin_dir, name_or_path) < 0) {
		path = NULL;
	}
	if (path == NULL) {
		*rc = -ENOMEM;
		snprintf(err, errlen, "plugin %s: out of memory", name_or_path);
	}
	return path;
}

/* Whose files a root process may run: root's, or its own user's when it
 * is not root (a ddnsd started by a plain user).  Not the `user` ddnsd
 * drops to: that user could then swap a module root loads at the next
 * start. */
static bool owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Refuse, before any of its code runs, a module that someone other than
 * root (or ddnsd's own user) could have written: the file, its folder and
 * every folder above (those may be world-writable only with the sticky
 * bit, as /tmp is).  As OpenSSH and sudo do for the code they load. */
static int check_trust(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (!owner_trusted(st->st_uid)) {
		snprintf(err, errlen, "plugin %s: owned by uid %u, neither root nor ddnsd's "
		         "user (uid %u): refusing to load it (chown root %s)", path,
		         (unsigned)st->st_uid, (unsigned)geteuid(), path);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "plugin %s: writable by group or others (mode %04o): "
		         "refusing to load it (chmod go-w %s)", path,
		         (unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	for (bool first = true;; first = false) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			return 0;
		if (slash == dir)
			slash[1] = '\0'; /* "/" */
		else
			*slash = '\0';
		struct stat ds;
		if (stat(dir, &ds) != 0) {
			snprintf(err, errlen, "plugin %s: folder %s: %s", path, dir, strerror(errno));
			return -errno;
		}
		bool sticky = (ds.st_mode & S_ISVTX) != 0 && !first;
		if (!owner_trusted(ds.st_uid)) {
			snprintf(err, errlen, "plugin %s: its folder %s is owned by uid %u, neither "
			         "root nor ddnsd's user (uid %u): refusing to load it", path, dir,
			         (unsigned)ds.st_uid, (unsigned)geteuid());
			return -EPERM;
		}
		if ((ds.st_mode & (S_IWGRP | S_IWOTH)) && !sticky) {
			snprintf(err, errlen, "plugin %s: its folder %s is writable by group or "
			         "others (mode %04o): refusing to load it (chmod go-w %s)", path,
			         dir, (unsigned)(ds.st_mode & 07777), dir);
			return -EPERM;
		}
		if (strcmp(dir, "/") == 0)
			return 0;
	}
}

int plugin_module_load(const char *name_or_path, const char *plugin_dir,
                       plugin_module_t **out, char *err, size_t errlen)
{
	int rc;
	void *handle = NULL;
	plugin_module_t *m = NULL;
	char *path = module_path(name_or_path, plugin_dir, err, errlen, &rc);
	if (path == NULL)
		return rc;

	struct stat st;
	if (stat(path, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "plugin %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "plugin %s: not a regular file", path);
		goto fail;
	}
	/* The file itself, not a link to it, and its real folders. */
	char *real = realpath(path, NULL);
	if (real == NULL) {
		rc = -errno;
		snprintf(err, errlen, "plugin %s: %s", path, strerror(errno));
		goto fail;
	}
	rc = check_trust(real, &st, err, errlen);
	free(real);
	if (rc != 0)
		goto fail;
	for (size_t i = 0; i < n_modules; i++) {
		if (strcmp(modules[i]->path, path) == 0) {
			modules[i]->refs++;
			*out = modules[i];
			free(path);
			return 0;
		}
	}

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		rc = -EINVAL;
		snprintf(err, errlen, "plugin %s: cannot load: %s", path, dlerror());
		goto fail;
	}
	const ddns_plugin_t *desc = dlsym(handle, DDNS_PLUGIN_SYMBOL);
	if (desc == NULL) {
		rc = DDNS_EABI;
		snprintf(err, errlen, "plugin %s: no %s symbol (not a ddnsd plugin?)",
		         path, DDNS_PLUGIN_SYMBOL);
		goto fail;
	}
	if ((rc = check_descriptor(path, desc, err, errlen)) != 0)
		goto fail;

	plugin_module_t **grown = realloc(modules, (n_modules + 1) * sizeof(*modules));
	if (grown == NULL || (m = calloc(1, sizeof(*m))) == NULL) {
		if (grown != NULL)
			modules = grown;
		rc = -ENOMEM;
		snprintf(err, errlen, "plugin %s: out of memory", path);
		goto fail;
	}
	modules = grown;
	*m = (plugin_module_t){ .path = path, .handle = handle, .refs = 1 };
	/* Our own copy, as large as our struct: members past the module's
	 * size stay NULL, so the host reads every member without checking. */
	memcpy(&m->desc_copy, desc, desc->size < sizeof(m->desc_copy) ? desc->size
	                                                               : sizeof(m->desc_copy));
	m->desc_copy.size = (uint32_t)sizeof(m->desc_copy);
	m->desc = &m->desc_copy;
	modules[n_modules++] = m;
	*out = m;
	return 0;
fail:
	if (handle != NULL)
		dlclose(handle);
	free(path);
	return rc;
}

void plugin_module_unref(plugin_module_t *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	for (size_t i = 0; i < n_modules; i++) {
		if (modules[i] == m) {
			modules[i] = modules[--n_modules];
			break;
		}
	}
	if (n_modules == 0) {
		free(modules);
		modules = NULL;
	}
	dlclose(m->handle);
	free(m->path);
	free(m);
}

const ddns_option_t *plugin_find_option(const ddns_plugin_t *desc, const char *name)
{
	for (const ddns_option_t *o = desc->options; o != NULL && o->name != NULL; o++) {
		if (strcmp(o->name, name) == 0)
			return o;
	}
	return NULL;
}

static bool type_fits(const config_setting_t *s, ddns_opt_type_t type)
{
	int t = config_setting_type(s);
	switch (type) {
	case DDNS_OPT_STRING:
		return t == CONFIG_TYPE_STRING;
	case DDNS_OPT_INT:
		return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case DDNS_OPT_BOOL:
		return t == CONFIG_TYPE_BOOL;
	case DDNS_OPT_LIST:
		if (t == CONFIG_TYPE_STRING)
			return true;
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return false;
		for (int i = 0; i < config_setting_length(s); i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return false;
		}
		return true;
	}
	return false;
}

static const char *const type_names[] = {
	[DDNS_OPT_STRING] = "a string", [DDNS_OPT_INT] = "an integer",
	[DDNS_OPT_BOOL] = "true or false", [DDNS_OPT_LIST] = "a string or a list of strings",
};

/* The names the module accepts, for "unknown option" messages. */
static void list_options(const ddns_plugin_t *desc, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (const ddns_option_t *o = desc->options; o != NULL && o->name != NULL; o++) {
		if (o->flags & DDNS_OPT_REJECTED)
			continue;
		int w = snprintf(buf + off, len - off, "%s%s", off > 0 ? ", " : "", o->name);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
	if (off == 0)
		snprintf(buf, len, "none");
}

int plugin_check_options(const ddns_plugin_t *desc, const conf_provider_t *cp,
                         char *err, size_t errlen)
{
	const config_setting_t *g = cp->setting;
	int n = config_setting_length(g);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		if (strcmp(name, "plugin") == 0)
			continue;
		const char *file = config_setting_source_file(s);
		int line = (int)config_setting_source_line(s);
		if (file == NULL)
			file = cp->file;
		const ddns_option_t *o = plugin_find_option(desc, name);
		if (o == NULL) {
			char names[512];
			list_options(desc, names, sizeof(names));
			snprintf(err, errlen, "%s:%d: providers.%s.%s: plugin %s has no "
			         "option \"%s\" (it takes: %s)", file, line, cp->name, name,
			         desc->name, name, names);
			return DDNS_ECONFIG;
		}
		if (o->flags & DDNS_OPT_REJECTED) {
			snprintf(err, errlen, "%s:%d: providers.%s.%s: %s", file, line,
			         cp->name, name, o->help != NULL ? o->help : "no longer supported");
			return DDNS_ECONFIG;
		}
		if (!type_fits(s, o->type)) {
			snprintf(err, errlen, "%s:%d: providers.%s.%s: must be %s", file,
			         line, cp->name, name, type_names[o->type]);
			return DDNS_ECONFIG;
		}
	}
	for (const ddns_option_t *o = desc->options; o != NULL && o->name != NULL; o++) {
		if ((o->flags & DDNS_OPT_REQUIRED) && !(o->flags & DDNS_OPT_REJECTED) &&
		    config_setting_get_member(g, o->name) == NULL) {
			snprintf(err, errlen, "%s:%d: providers.%s.%s: missing (plugin %s "
			         "requires it: %s)", cp->file, cp->line, cp->name, o->name,
			         desc->name, o->help != NULL ? o->help : "no help");
			return DDNS_ECONFIG;
		}
	}
	return 0;
}
