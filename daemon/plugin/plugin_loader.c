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

/* The size of the smallest descriptor of ABI @p abi, and the members of
 * ours it may fill: ABI 1's ended before option_size. */
static size_t abi_size_min(uint32_t abi)
{
	return abi == 1 ? DDNS_PLUGIN_SIZE_MIN_V1 : DDNS_PLUGIN_SIZE_MIN;
}

static size_t abi_size_known(uint32_t abi)
{
	return abi == 1 ? offsetof(ddns_plugin_t, option_size) : sizeof(ddns_plugin_t);
}

/* The descriptor's fixed members, checked before the module is used. */
static int check_descriptor(const char *path, const ddns_plugin_t *d,
                            char *err, size_t errlen)
{
	/* ABI 1 differs only in the option table's layout (no range, no
	 * default) and has no capabilities: cheap to keep loading. */
	if (d->abi != DDNS_PLUGIN_ABI && d->abi != 1) {
		snprintf(err, errlen, "plugin %s: built for plugin ABI %u, this ddnsd "
		         "speaks ABI %d (and 1): rebuild it against this ddnsd's "
		         "<ddns/plugin.h>", path, (unsigned)d->abi, DDNS_PLUGIN_ABI);
		return DDNS_EABI;
	}
	/* Larger: a newer header of the same ABI (members we do not know are
	 * ignored).  Smaller, down to the ABI's first descriptor: an older one
	 * (what it lacks counts as NULL, see plugin_module_load). */
	if (d->size < abi_size_min(d->abi)) {
		snprintf(err, errlen, "plugin %s: descriptor size %u, smaller than any "
		         "<ddns/plugin.h> of ABI %u made (%zu to %zu here): rebuild it "
		         "against this ddnsd's <ddns/plugin.h>", path, (unsigned)d->size,
		         (unsigned)d->abi, abi_size_min(d->abi), abi_size_known(d->abi));
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
	if (d->abi != 1 && d->options != NULL && d->option_size < DDNS_OPTION_SIZE_V1) {
		snprintf(err, errlen, "plugin %s: descriptor has options but option_size "
		         "%u (set both with DDNS_PLUGIN_OPTIONS())", path,
		         (unsigned)d->option_size);
		return DDNS_EABI;
	}
	return 0;
}

/* A declared default must read as its option's type would, in range. */
static bool default_fits(const ddns_option_t *o)
{
	if (o->def == NULL)
		return true;
	switch (o->type) {
	case DDNS_OPT_INT: {
		int64_t v;
		if (!plugin_parse_int(o->def, &v))
			return false;
		return (o->min == 0 && o->max == 0) || (v >= o->min && v <= o->max);
	}
	case DDNS_OPT_BOOL:
		return strcmp(o->def, "true") == 0 || strcmp(o->def, "false") == 0;
	default:
		return true;
	}
}

/* The module's option table in our layout (its stride may be ABI 1's, or
 * a newer header's), each declaration checked. */
static int copy_options(const char *path, const ddns_plugin_t *d, ddns_option_t **out,
                        char *err, size_t errlen)
{
	*out = NULL;
	if (d->options == NULL)
		return 0;
	size_t stride = d->abi == 1 ? DDNS_OPTION_SIZE_V1 : d->option_size;
	size_t n = 0;
	const char *base = (const char *)d->options;
	while (((const ddns_option_t *)(const void *)(base + n * stride))->name != NULL)
		n++;
	ddns_option_t *opts = calloc(n + 1, sizeof(*opts));
	if (opts == NULL) {
		snprintf(err, errlen, "plugin %s: out of memory", path);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		ddns_option_t *o = &opts[i];
		memcpy(o, base + i * stride, stride < sizeof(*o) ? stride : sizeof(*o));
		const char *why = NULL;
		if (o->type < DDNS_OPT_STRING || o->type > DDNS_OPT_LIST)
			why = "has an unknown type";
		else if (o->type != DDNS_OPT_INT && (o->min != 0 || o->max != 0))
			why = "has a range but is no integer";
		else if (o->min > o->max)
			why = "has a range whose min is above its max";
		else if (o->def != NULL && (o->flags & DDNS_OPT_REQUIRED))
			why = "is required and has a default";
		else if (!default_fits(o))
			why = "has a default that does not fit its type or range";
		if (why != NULL) {
			snprintf(err, errlen, "plugin %s: option %s %s", path, o->name, why);
			free(opts);
			return DDNS_EABI;
		}
	}
	*out = opts;
	return 0;
}

bool plugin_parse_int(const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return false;
	*out = v;
	return true;
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
	ddns_option_t *opts = NULL;
	if ((rc = copy_options(path, desc, &opts, err, errlen)) != 0)
		goto fail;

	plugin_module_t **grown = realloc(modules, (n_modules + 1) * sizeof(*modules));
	if (grown == NULL || (m = calloc(1, sizeof(*m))) == NULL) {
		if (grown != NULL)
			modules = grown;
		free(opts);
		rc = -ENOMEM;
		snprintf(err, errlen, "plugin %s: out of memory", path);
		goto fail;
	}
	modules = grown;
	*m = (plugin_module_t){ .path = path, .handle = handle, .refs = 1, .options = opts };
	/* Our own copy, as large as our struct: members past the module's
	 * size (or past what its ABI has) stay NULL, so the host reads every
	 * member without checking.  The options are ours, in our layout. */
	size_t known = abi_size_known(desc->abi);
	memcpy(&m->desc_copy, desc, desc->size < known ? desc->size : known);
	m->desc_copy.size = (uint32_t)sizeof(m->desc_copy);
	m->desc_copy.options = opts;
	m->desc_copy.option_size = (uint32_t)sizeof(ddns_option_t);
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
	free(m->options);
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

/* A secret (an API token) in a file every local user can read is a secret
 * no longer: refused, so the mistake is found at `ddnsd -t` or the start,
 * not after a leak.  Group read is allowed: the documented setup is
 * root:ddns 0640, so that ddnsd re-reads the file on SIGHUP after it left
 * root.  The file is the one the setting is in (an @include may differ). */
static int check_secret_file(const conf_provider_t *cp, const char *name,
                             const char *file, int line, char *err, size_t errlen)
{
	struct stat st;
	if (stat(file, &st) != 0 || (st.st_mode & (S_IROTH | S_IWOTH)) == 0)
		return 0;
	snprintf(err, errlen, "%s:%d: providers.%s.%s: a secret in a file other "
	         "users can %s (mode %04o): run chmod o-rw %s", file, line, cp->name,
	         name, (st.st_mode & S_IROTH) ? "read" : "write",
	         (unsigned)(st.st_mode & 07777), file);
	return DDNS_ECONFIG;
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
		long long v = o->type == DDNS_OPT_INT ? config_setting_get_int64(s) : 0;
		if (o->type == DDNS_OPT_INT && (o->min != 0 || o->max != 0) &&
		    (v < o->min || v > o->max)) {
			snprintf(err, errlen, "%s:%d: providers.%s.%s: %lld is out of range "
			         "(plugin %s takes %lld to %lld)", file, line, cp->name, name,
			         v, desc->name, (long long)o->min, (long long)o->max);
			return DDNS_ECONFIG;
		}
		if ((o->flags & DDNS_OPT_SECRET) &&
		    check_secret_file(cp, name, file, line, err, errlen) != 0)
			return DDNS_ECONFIG;
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
