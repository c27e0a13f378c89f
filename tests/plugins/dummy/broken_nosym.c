/* A shared object that is not a ddnsd plugin: it exports no ddns_plugin. */
#include <ddns/plugin.h>

__attribute__((visibility("default"))) int not_a_plugin(void);

int not_a_plugin(void)
{
	return 42;
}
