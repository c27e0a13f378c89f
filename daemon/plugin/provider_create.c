/* Bringing a `providers` entry to life: load the module, check the options
 * against its declarations, call create(), and log what was created without
 * ever printing an option the plugin marks secret. */
#include "provider_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "log.h"

static void put_value(FILE *f, const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(f, "%lld", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_BOOL:
		fputs(config_setting_get_bool(s) ? "true" : "false", f);
		break;
	case CONFIG_TYPE_STRING:
		fprintf(f, "\"%s\"", config_setting_get_string(s));
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		fputc('[', f);
		for (int i = 0; i < config_setting_length(s); i++) {
			if (i > 0)
				fputs(", ", f);
			put_value(f, config_setting_get_elem(s, (unsigned)i));
		}
		fputc(']', f);
		break;
	default:
		fputs("...", f);
	}
}

/* "token=(secret), zone="example.com"": the options as logged. */
static char *options_text(const provider_t *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	const config_setting_t *g = p->cp->setting;
	int n = 0;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		if (strcmp(name, "plugin") == 0)
			continue;
		const ddns_option_t *o = plugin_find_option(p->desc, name);
		fprintf(f, "%s%s=", n++ > 0 ? ", " : "", name);
		if (o == NULL || (o->flags & DDNS_OPT_SECRET))
			fputs("(secret)", f); /* undeclared cannot happen; be safe anyway */
		else
			put_value(f, s);
	}
	if (n == 0)
		fputs("no options", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void create_failed(provider_t *p)
{
	p->destroying = true;
	provider_reclaim(p, true);
	plugin_module_unref(p->mod);
	p->mod = NULL;
	provider_maybe_free(p);
}

int provider_create(const provider_env_t *env, const conf_t *conf,
                    const conf_provider_t *cp, provider_t **out,
                    char *err, size_t errlen)
{
	plugin_module_t *mod = NULL;
	char why[512];
	int rc = plugin_module_load(cp->plugin, conf != NULL ? conf->plugin_dir : NULL,
	                            &mod, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: providers.%s: %s", cp->file, cp->line,
		         cp->name, why);
		return rc;
	}
	if ((rc = plugin_check_options(mod->desc, cp, err, errlen)) != 0) {
		plugin_module_unref(mod);
		return rc;
	}
	provider_t *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		plugin_module_unref(mod);
		snprintf(err, errlen, "provider %s: out of memory", cp->name);
		return -ENOMEM;
	}
	p->ctx.p = p;
	p->env = *env;
	p->conf = conf;
	p->cp = cp;
	p->mod = mod;
	p->desc = mod->desc;
	p->refs = 1;
	plink_init(&p->updates);
	plink_init(&p->timers);
	plink_init(&p->watches);
	plink_init(&p->https);
	plink_init(&p->counters);
	plink_init(&p->txts);
	if ((p->name = strdup(cp->name)) == NULL ||
	    asprintf(&p->subject, "provider %s", cp->name) < 0) {
		p->subject = NULL;
		snprintf(err, errlen, "provider %s: out of memory", cp->name);
		create_failed(p);
		return -ENOMEM;
	}

	char wd[256];
	snprintf(wd, sizeof(wd), "provider %s (%s)", cp->name, p->desc->name);
	p->wd_name = watchdog_intern(wd);
	p->creating = true;
	PROVIDER_CALL(p, "create", rc = p->desc->create(&p->ctx, &provider_host_table, &p->inst));
	p->creating = false;
	if (rc != 0 || p->inst == NULL) {
		if (p->create_err[0] != '\0')
			snprintf(err, errlen, "%s", p->create_err);
		else
			snprintf(err, errlen, "%s:%d: providers.%s: plugin %s could not "
			         "start: %s", cp->file, cp->line, cp->name, p->desc->name,
			         ddns_strerror(rc != 0 ? rc : -EINVAL));
		p->inst = NULL;
		create_failed(p);
		return rc != 0 ? rc : DDNS_ECONFIG;
	}
	char *opts = options_text(p);
	log_info(p->subject, "plugin %s %s (%s): %s", p->desc->name,
	         p->desc->version != NULL ? p->desc->version : "", mod->path,
	         opts != NULL ? opts : "?");
	free(opts);
	*out = p;
	return 0;
}
