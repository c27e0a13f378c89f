/*
 * The python mock provider APIs as child processes of a test, and their
 * control interface (blocking libcurl calls: tests only, never on a loop).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mock_api.h"

int mock_api_start(mock_api_t *api, const char *script)
{
	const char *top = getenv("top_srcdir");
	char path[4096], line[128];
	struct pollfd pfd;
	size_t got = 0;
	int fds[2];

	snprintf(path, sizeof(path), "%s/tests/plugins/providers/%s", top ? top : ".", script);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	api->pid = fork();
	if (api->pid < 0)
		return -errno;
	if (api->pid == 0) {
		/* The mock dies with the test, even if the test crashes. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], STDOUT_FILENO);
		execlp("python3", "python3", path, "--port", "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	while (got < sizeof(line) - 1 && poll(&pfd, 1, 15000) > 0) {
		ssize_t n = read(fds[0], line + got, 1);
		if (n <= 0 || line[got] == '\n')
			break;
		got++;
	}
	close(fds[0]);
	line[got] = '\0';
	if (sscanf(line, "PORT %d", &api->port) != 1) {
		fprintf(stderr, "mock_api: %s did not start (said \"%s\")\n", path, line);
		mock_api_stop(api);
		return -EIO;
	}
	snprintf(api->url, sizeof(api->url), "http://127.0.0.1:%d", api->port);
	return 0;
}

void mock_api_stop(mock_api_t *api)
{
	if (api->pid > 0) {
		kill(api->pid, SIGTERM);
		waitpid(api->pid, NULL, 0);
		api->pid = 0;
	}
}

typedef struct body_buf {
	char *data;
	size_t len;
} body_buf_t;

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	body_buf_t *b = arg;
	char *grown = realloc(b->data, b->len + size * n + 1);

	if (grown == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static long mock_api_call(const mock_api_t *api, const char *path, const char *post,
                          body_buf_t *out)
{
	CURL *c = curl_easy_init();
	char url[256];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", api->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

long mock_api_control(const mock_api_t *api, const char *json)
{
	body_buf_t b = { 0 };
	long status = mock_api_call(api, "/_control", json, &b);

	if (status != 200)
		fprintf(stderr, "mock_api: control %s -> %ld %s\n", json, status, b.data ? b.data : "");
	free(b.data);
	return status;
}

json_t *mock_api_get(const mock_api_t *api, const char *path)
{
	body_buf_t b = { 0 };
	json_t *j = NULL;

	if (mock_api_call(api, path, NULL, &b) == 200 && b.data)
		j = json_loads(b.data, 0, NULL);
	free(b.data);
	return j;
}

size_t mock_api_count(const mock_api_t *api, const char *method, const char *path_part)
{
	json_t *all = mock_api_get(api, "/_requests"), *r;
	size_t i, n = 0;

	json_array_foreach(all, i, r) {
		const char *m = json_string_value(json_object_get(r, "method"));
		const char *p = json_string_value(json_object_get(r, "path"));
		if ((method == NULL || (m && strcmp(m, method) == 0)) &&
		    (path_part == NULL || (p && strstr(p, path_part))))
			n++;
	}
	json_decref(all);
	return n;
}
