#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ddns/rest/json.h>

json_t *rest_json_parse(const ddns_http_response_t *res, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(res->body ? res->body : "", res->body_len, 0, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "expected a JSON reply, got %s (%s at line %d column %d)",
		         res->body_len ? "malformed JSON" : "an empty body", jerr.text,
		         jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "expected a JSON object, got another JSON value");
		json_decref(root);
		return NULL;
	}
	return root;
}

int rest_json_id(const json_t *v, char *out, size_t len)
{
	int n;

	if (json_is_integer(v))
		n = snprintf(out, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_string(v) && json_string_length(v) > 0)
		n = snprintf(out, len, "%s", json_string_value(v));
	else
		return -EINVAL;
	return n > 0 && (size_t)n < len ? 0 : -EINVAL;
}

const char *rest_json_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Message (and code, if any) of one error object; 0 if it had a message. */
static int message_of(const json_t *o, char *out, size_t len)
{
	const char *msg = rest_json_str(o, "message");
	const json_t *code = json_object_get(o, "code");

	if (msg == NULL)
		return -ENOENT;
	if (json_is_integer(code))
		snprintf(out, len, "%s (code %" JSON_INTEGER_FORMAT ")", msg,
		         json_integer_value(code));
	else
		snprintf(out, len, "%s", msg);
	return 0;
}

const char *rest_api_message(const ddns_http_response_t *res, char *out, size_t len)
{
	json_t *root = json_loadb(res->body ? res->body : "", res->body_len, 0, NULL);
	const char *key;
	json_t *v;
	int found = -ENOENT;

	if (json_is_object(root)) {
		found = message_of(root, out, len);
		v = json_object_get(root, "errors");
		if (found && json_is_array(v) && json_array_size(v) > 0)
			found = message_of(json_array_get(v, 0), out, len);
		if (found) {
			json_object_foreach(root, key, v) {
				if (json_is_object(v) && message_of(v, out, len) == 0) {
					found = 0;
					break;
				}
			}
		}
	}
	json_decref(root);
	if (found) {
		/* Unknown shape: the first line of the body is the best we have. */
		size_t n = strcspn(res->body ? res->body : "", "\r\n");
		if (n > 200)
			n = 200;
		if (n == 0)
			snprintf(out, len, "HTTP %ld with no message", res->status);
		else
			snprintf(out, len, "%.*s", (int)n, res->body);
	}
	return out;
}

const char *rest_header(const ddns_http_response_t *res, const char *name)
{
	for (size_t i = 0; i < res->n_headers; i++)
		if (strcasecmp(res->header_names[i], name) == 0)
			return res->header_values[i];
	return NULL;
}
