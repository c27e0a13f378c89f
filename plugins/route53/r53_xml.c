/*
 * Route 53's XML, read and written with libxml2: replies are parsed into a
 * tree (no network access, no entity expansion) and looked up by local
 * element names, so the namespace prefix a reply uses does not matter;
 * requests are built as trees and serialised, so names and values are
 * escaped by the library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "r53.h"

xmlDoc *r53_xml_parse(const ddns_http_response_t *res)
{
	if (res->body == NULL || res->body_len == 0 || res->body_len > INT32_MAX)
		return NULL;
	return xmlReadMemory(res->body, (int)res->body_len, "route53.xml", NULL,
	                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                     XML_PARSE_NOBLANKS);
}

xmlNode *r53_xml_child(const xmlNode *n, const char *name)
{
	for (xmlNode *c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

xmlNode *r53_xml_path(const xmlNode *n, const char *path)
{
	char step[64];
	const xmlNode *at = n;

	while (at != NULL && *path != '\0') {
		size_t k = strcspn(path, "/");
		if (k >= sizeof(step))
			return NULL;
		memcpy(step, path, k);
		step[k] = '\0';
		at = r53_xml_child(at, step);
		path += k + (path[k] == '/');
	}
	return (xmlNode *)at;
}

const char *r53_xml_text(const xmlNode *n, char *out, size_t len)
{
	xmlChar *t = n != NULL ? xmlNodeGetContent(n) : NULL;
	int w = snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
	xmlFree(t);
	return w < 0 || (size_t)w >= len ? NULL : out;
}

int r53_xml_error(const ddns_http_response_t *res, char *code, size_t code_len, char *msg,
                  size_t msg_len)
{
	xmlDoc *doc = r53_xml_parse(res);
	xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	xmlNode *err = NULL;

	code[0] = msg[0] = '\0';
	if (root != NULL && strcmp((const char *)root->name, "ErrorResponse") == 0)
		err = r53_xml_child(root, "Error");
	else if (root != NULL && strcmp((const char *)root->name, "InvalidChangeBatch") == 0)
		err = root; /* <InvalidChangeBatch><Messages><Message>... */
	if (err == NULL) {
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	if (err == root)
		snprintf(code, code_len, "InvalidChangeBatch");
	else
		r53_xml_text(r53_xml_child(err, "Code"), code, code_len);
	xmlNode *list = r53_xml_child(err, "Messages");
	if (list != NULL) {
		size_t used = 0;
		for (xmlNode *m = list->children; m != NULL; m = m->next) {
			if (m->type != XML_ELEMENT_NODE)
				continue;
			char one[512];
			r53_xml_text(m, one, sizeof(one));
			int w = snprintf(msg + used, msg_len - used, "%s%s", used ? "; " : "", one);
			if (w < 0 || (size_t)w >= msg_len - used)
				break;
			used += (size_t)w;
		}
	}
	if (msg[0] == '\0')
		r53_xml_text(r53_xml_child(err, "Message"), msg, msg_len);
	xmlFreeDoc(doc);
	return 0;
}

const char *r53_xml_message(const ddns_http_response_t *res, char *out, size_t len)
{
	char code[128], msg[512];

	if (r53_xml_error(res, code, sizeof(code), msg, sizeof(msg)) == 0) {
		snprintf(out, len, "%s%s%s", code, msg[0] ? ": " : "", msg);
		return out;
	}
	size_t n = strcspn(res->body != NULL ? res->body : "", "\r\n");
	if (n == 0)
		snprintf(out, len, "HTTP %ld with no message", res->status);
	else
		snprintf(out, len, "%.*s", (int)(n > 200 ? 200 : n), res->body);
	return out;
}

/* <Change><Action/><ResourceRecordSet><Name/><Type/><TTL/><ResourceRecords>
 * <ResourceRecord><Value/>... in the order botocore serialises them. */
static int add_change(xmlNode *changes, const char *action, const char *fqdn, const char *type,
                      int64_t ttl, const char *const *values, size_t n)
{
	char num[32];
	xmlNode *ch = xmlNewChild(changes, NULL, BAD_CAST "Change", NULL);
	xmlNode *set;
	xmlNode *rrs;

	if (ch == NULL || xmlNewTextChild(ch, NULL, BAD_CAST "Action", BAD_CAST action) == NULL ||
	    (set = xmlNewChild(ch, NULL, BAD_CAST "ResourceRecordSet", NULL)) == NULL ||
	    xmlNewTextChild(set, NULL, BAD_CAST "Name", BAD_CAST fqdn) == NULL ||
	    xmlNewTextChild(set, NULL, BAD_CAST "Type", BAD_CAST type) == NULL)
		return -ENOMEM;
	snprintf(num, sizeof(num), "%lld", (long long)ttl);
	if (xmlNewTextChild(set, NULL, BAD_CAST "TTL", BAD_CAST num) == NULL ||
	    (rrs = xmlNewChild(set, NULL, BAD_CAST "ResourceRecords", NULL)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		xmlNode *rr = xmlNewChild(rrs, NULL, BAD_CAST "ResourceRecord", NULL);
		if (rr == NULL || xmlNewTextChild(rr, NULL, BAD_CAST "Value", BAD_CAST values[i]) == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* A TXT value as Route 53 wants it: in quotes, with " and \ escaped. */
static char *quote_txt(const char *v)
{
	size_t n = strlen(v);
	char *q = malloc(2 * n + 3), *o = q;
	if (q == NULL)
		return NULL;
	*o++ = '"';
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			*o++ = '\\';
		*o++ = *v;
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

char *r53_xml_change_batch(const char *name, int64_t ttl, const char *ipv4, const char *ipv6,
                           const char *const *txt, size_t n_txt, const char *txt_action,
                           bool txt_quoted)
{
	char fqdn[300];
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *root = doc != NULL ? xmlNewNode(NULL, BAD_CAST "ChangeResourceRecordSetsRequest")
	                            : NULL;
	xmlNode *batch, *changes;
	char **quoted = NULL;
	xmlChar *out = NULL;
	int len = 0, rc = -ENOMEM;

	if (root == NULL)
		goto done;
	xmlDocSetRootElement(doc, root);
	snprintf(fqdn, sizeof(fqdn), "%s.", name);
	xmlNs *ns = xmlNewNs(root, BAD_CAST R53_XMLNS, NULL);
	xmlSetNs(root, ns); /* the children inherit it */
	if (ns == NULL ||
	    (batch = xmlNewChild(root, NULL, BAD_CAST "ChangeBatch", NULL)) == NULL ||
	    xmlNewTextChild(batch, NULL, BAD_CAST "Comment", BAD_CAST "ddnsd") == NULL ||
	    (changes = xmlNewChild(batch, NULL, BAD_CAST "Changes", NULL)) == NULL)
		goto done;
	if (txt != NULL) {
		if ((quoted = calloc(n_txt + 1, sizeof(*quoted))) == NULL)
			goto done;
		for (size_t i = 0; i < n_txt; i++)
			if ((quoted[i] = txt_quoted ? strdup(txt[i]) : quote_txt(txt[i])) == NULL)
				goto done;
		rc = add_change(changes, txt_action, fqdn, "TXT", ttl, (const char *const *)quoted,
		                n_txt);
	} else {
		rc = 0;
		if (ipv4 != NULL)
			rc = add_change(changes, "UPSERT", fqdn, "A", ttl, &ipv4, 1);
		if (rc == 0 && ipv6 != NULL)
			rc = add_change(changes, "UPSERT", fqdn, "AAAA", ttl, &ipv6, 1);
	}
	if (rc == 0)
		xmlDocDumpMemoryEnc(doc, &out, &len, "UTF-8");
done:
	for (size_t i = 0; quoted != NULL && i < n_txt; i++)
		free(quoted[i]);
	free(quoted);
	xmlFreeDoc(doc);
	if (out == NULL)
		return NULL;
	char *copy = strndup((const char *)out, (size_t)len);
	xmlFree(out);
	return copy;
}
