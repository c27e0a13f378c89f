/* The lines a record's clients need, filled in for it: curl (the
 * dynamicdns API), ddclient and inadyn (dyndns2), and a router's update
 * URL (FRITZ!Box style).  They follow doc/clients.md.  The key is the
 * record's when it was just made or rotated, else the placeholder KEY: the
 * store keeps only its hash. */
#include "admin_priv.h"

#include <string.h>

static void block(ahtml_t *b, const char *id, const char *title)
{
	ah_fmt(b, "<h3>%s</h3><pre class=\"client\" id=\"%s\">", title, id);
}

void admin_clients(ahtml_t *b, const char *public_url, const char *name, const char *key)
{
	const char *url = public_url[0] != '\0' ? public_url : "https://ddns.example.com";
	const char *host = strstr(url, "://") != NULL ? strstr(url, "://") + 3 : url;
	bool tls = strncmp(url, "https://", 8) == 0;
	const char *k = key != NULL ? key : "KEY";

	block(b, "curl", "curl (cron)");
	ah_raw(b, "curl ");
	ah_text(b, url);
	ah_raw(b, "/dynamicdns/update/");
	ah_text(b, name);
	ah_raw(b, "/ --data \"key=");
	ah_text(b, k);
	ah_raw(b, "\"</pre>\n");

	block(b, "ddclient", "ddclient (/etc/ddclient.conf)");
	ah_fmt(b, "protocol=dyndns2\nssl=%s\nserver=", tls ? "yes" : "no");
	ah_text(b, host);
	ah_raw(b, "\nuse=web, web=");
	ah_text(b, url);
	ah_raw(b, "/nic/checkip\nlogin=");
	ah_text(b, name);
	ah_raw(b, "\npassword='");
	ah_text(b, k);
	ah_raw(b, "'\n");
	ah_text(b, name);
	ah_raw(b, "</pre>\n");

	block(b, "inadyn", "inadyn (/etc/inadyn.conf)");
	ah_raw(b, "custom ddnsd {\n    username       = ");
	ah_text(b, name);
	ah_raw(b, "\n    password       = ");
	ah_text(b, k);
	ah_fmt(b, "\n    ssl            = %s\n    ddns-server    = ", tls ? "true" : "false");
	ah_text(b, host);
	ah_raw(b, "\n    ddns-path      = \"/nic/update?hostname=%h&amp;myip=%i\"\n"
	          "    checkip-server = ");
	ah_text(b, host);
	ah_fmt(b, "\n    checkip-path   = /nic/checkip\n    checkip-ssl    = %s\n"
	          "    hostname       = ", tls ? "true" : "false");
	ah_text(b, name);
	ah_raw(b, "\n}</pre>\n");

	block(b, "router", "Router (FRITZ!Box and others: user-defined provider)");
	ah_raw(b, "Update URL: ");
	ah_text(b, url);
	ah_raw(b, "/nic/update?hostname=&lt;domain&gt;&amp;myip=&lt;ipaddr&gt;,&lt;ip6addr&gt;\n"
	          "Domain name: ");
	ah_text(b, name);
	ah_raw(b, "\nUser name: ");
	ah_text(b, name);
	ah_raw(b, "\nPassword: ");
	ah_text(b, k);
	ah_raw(b, "</pre>\n");
}
