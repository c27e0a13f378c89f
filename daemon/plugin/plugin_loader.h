/**
 * @file plugin_loader.h
 * @brief dlopen()s provider modules and checks them before use.
 *
 * A module is found by absolute path, or by name as <plugin_dir>/<name>.so.
 * It is loaded RTLD_NOW|RTLD_LOCAL and must export `ddns_plugin` with the
 * host's DDNS_PLUGIN_ABI (or ABI 1, whose option table is read in its old
 * layout) and at least the smallest size of that ABI; the option
 * declarations must be sound (type, range, default).  Before dlopen, a file
 * or folder (up to /) that is owned by neither root nor ddnsd's user, or
 * writable by group or others (a folder above may be, with the sticky bit),
 * is refused: -EPERM.  Every refusal names the file and, for ABI or size,
 * both numbers.  Modules are cached by path and
 * reference-counted, so two instances of one plugin share one handle.
 */
#ifndef DDNS_PLUGIN_LOADER_H
#define DDNS_PLUGIN_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "ddns/plugin.h"
#include "conf.h"

typedef struct plugin_module {
	char *path;                 /**< resolved file */
	void *handle;               /**< dlopen handle */
	const ddns_plugin_t *desc;  /**< the checked descriptor: &desc_copy */
	ddns_plugin_t desc_copy;    /**< the module's, NULL past its size */
	ddns_option_t *options;     /**< its option table in the host's layout
	                                 (desc_copy.options), owned */
	unsigned refs;
} plugin_module_t;

/**
 * Load (or take another reference to) the module @p name_or_path.
 * @return 0; -ENOENT (no file), -EPERM (not trusted), DDNS_EABI
 * (ABI/size/symbol), -EINVAL; on
 * error @p err holds one line naming the file.
 */
int plugin_module_load(const char *name_or_path, const char *plugin_dir,
                       plugin_module_t **out, char *err, size_t errlen);
/** Drop a reference; dlclose()s at zero. */
void plugin_module_unref(plugin_module_t *m);

/**
 * Check a `providers` entry against the options @p desc declares: no
 * undeclared option, every required one present, types right, integers in
 * their declared range, rejected ones refused with their help text, and
 * no option marked DDNS_OPT_SECRET set in a file others can read or write.
 * @p err gets file:line: setting: problem.
 */
int plugin_check_options(const ddns_plugin_t *desc, const conf_provider_t *cp,
                         char *err, size_t errlen);
/** Parse a whole decimal integer (a declared default): false if it is not. */
bool plugin_parse_int(const char *text, int64_t *out);
/** The declaration of option @p name, or NULL. */
const ddns_option_t *plugin_find_option(const ddns_plugin_t *desc, const char *name);

#endif
