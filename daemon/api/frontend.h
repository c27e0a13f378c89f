/**
 * @file frontend.h
 * @brief Protocol front ends: HTTP routes that turn requests into pipeline
 *        requests and pipeline results into protocol replies.
 *
 * Each front end registers its routes on the server; the environment is
 * borrowed and outlives the server.
 */
#ifndef DDNS_FRONTEND_H
#define DDNS_FRONTEND_H

#include <stdbool.h>
#include "httpd.h"
#include "pipeline.h"
#include "store.h"
#include "store_writer.h"

/** When dyndns2 takes `username=`/`password=` parameters (see
 *  dyndns2_query_credentials in ddns.conf(5)). */
typedef enum frontend_qcred {
	FRONTEND_QCRED_HTTPS = 0, /**< over HTTPS only (httpd_req_https()) */
	FRONTEND_QCRED_ALWAYS,
	FRONTEND_QCRED_NEVER,
} frontend_qcred_t;

typedef struct frontend_env {
	pipeline_t *pipeline;
	store_t *store;
	store_writer_t *writer;  /**< its health shows in /healthz and /metrics
	                              (may be NULL) */
	struct metrics *metrics; /**< counters shown by /metrics (may be NULL) */
	const bool *stopping;    /**< set once shutdown began: /healthz then
	                              answers 503 (may be NULL) */
	frontend_qcred_t dyndns2_query_credentials; /**< set again by a reload */
} frontend_env_t;

/** The dynamicdns API (api_dynamicdns.c): /dynamicdns/update/<name>/ and /dynamicdns/read/<name>/. */
int api_dynamicdns_register(httpd_t *h, const frontend_env_t *env);
/** dyndns2: /nic/update and /nic/checkip. */
int api_dyndns2_register(httpd_t *h, const frontend_env_t *env);
/** ACME DNS-01 TXT values (api_acme.c): acme-dns's POST /update and lego
 *  httpreq's POST /present and /cleanup. */
int api_acme_register(httpd_t *h, const frontend_env_t *env);
/** Operations: GET /metrics (Prometheus text 0.0.4) and GET /healthz, as
 *  httpd_route_ops() routes (their listeners, their allowed clients). */
int api_ops_register(httpd_t *h, const frontend_env_t *env);

#endif
