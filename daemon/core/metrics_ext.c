/*
 * Counters published by plugins (host->metric_counter): each is a name, a
 * help line, the provider instance it belongs to and a function that reads
 * its value.  The value is pulled when /metrics is rendered, so a plugin's
 * hot path (a DNS worker thread answering) only bumps its own counters and
 * never calls into the host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_priv.h"

void metrics_put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 7 || n > 100 || name[0] < 'a' || name[0] > 'z' ||
	    strcmp(name + n - 6, "_total") != 0)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Taken by the daemon itself: ddns_<name> of a registered family, or the
 * DNS query counter rendered beside them. */
static bool daemon_name(const metrics_t *m, const char *full)
{
	if (strcmp(full, "ddns_dns_queries_total") == 0)
		return true;
	for (size_t i = 0; i < m->n_families; i++)
		if (strcmp(m->families[i]->name, full) == 0)
			return true;
	return false;
}

int metrics_ext_new(metrics_t *m, const char *name, const char *help, const char *provider,
                    metrics_read_cb read, void *arg, metrics_ext_t **out)
{
	metrics_ext_t *e;
	char full[128];

	if (name == NULL || read == NULL || provider == NULL || !valid_name(name))
		return -EINVAL;
	snprintf(full, sizeof(full), "ddns_%s", name);
	if (daemon_name(m, full))
		return -EINVAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->m = m;
	e->read = read;
	e->arg = arg;
	e->name = strdup(full);
	e->help = strdup(help != NULL ? help : "");
	e->provider = strdup(provider);
	if (e->name == NULL || e->help == NULL || e->provider == NULL) {
		free(e->name);
		free(e->help);
		free(e->provider);
		free(e);
		return -ENOMEM;
	}
	/* A help line is one line of text. */
	for (char *c = e->help; *c != '\0'; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	e->next = m->ext;
	if (m->ext != NULL)
		m->ext->prev = e;
	m->ext = e;
	*out = e;
	return 0;
}

void metrics_ext_free(metrics_ext_t *e)
{
	if (e == NULL)
		return;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		e->m->ext = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	free(e->name);
	free(e->help);
	free(e->provider);
	free(e);
}

/* Is @p e the first of its name in the list (the one that renders it)? */
static bool first_of_name(const metrics_t *m, const metrics_ext_t *e)
{
	for (const metrics_ext_t *o = m->ext; o != e; o = o->next)
		if (strcmp(o->name, e->name) == 0)
			return false;
	return true;
}

static bool first_of_series(const metrics_ext_t *head, const metrics_ext_t *e)
{
	for (const metrics_ext_t *o = head; o != e; o = o->next)
		if (strcmp(o->name, e->name) == 0 && strcmp(o->provider, e->provider) == 0)
			return false;
	return true;
}

/* One family per name, one sample per provider.  While a reload replaces
 * an instance, the old and the new one both publish for a moment: their
 * values are summed into the one series the name and label make. */
void metrics_ext_render(FILE *f, const metrics_t *m)
{
	for (const metrics_ext_t *e = m->ext; e != NULL; e = e->next) {
		if (!first_of_name(m, e))
			continue;
		fprintf(f, "# HELP %s ", e->name);
		metrics_put_escaped(f, e->help, false);
		fprintf(f, "\n# TYPE %s counter\n", e->name);
		for (const metrics_ext_t *s = e; s != NULL; s = s->next) {
			if (strcmp(s->name, e->name) != 0 || !first_of_series(e, s))
				continue;
			uint64_t v = 0;
			for (const metrics_ext_t *o = s; o != NULL; o = o->next)
				if (strcmp(o->name, s->name) == 0 && strcmp(o->provider, s->provider) == 0)
					v += o->read(o->arg);
			fprintf(f, "%s{provider=\"", s->name);
			metrics_put_escaped(f, s->provider, true);
			fprintf(f, "\"} %llu\n", (unsigned long long)v);
		}
	}
}
