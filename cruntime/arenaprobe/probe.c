#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int xrt_arenas(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	int rc = malloc_info(0, f);
	fclose(f);
	if (rc != 0) {
		free(buf);
		return -1;
	}
	int n = 0;
	for (const char *p = buf; (p = strstr(p, "<heap nr=")); p++)
		n++;
	free(buf);
	return n;
}

static void *churn(void *arg)
{
	(void)arg;
	free(malloc(64));
	return NULL;
}

int xrt_malloc_on_thread(void)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, churn, NULL);
	if (rc != 0)
		return rc;
	return pthread_join(t, NULL);
}
