/*
 * public.h - the public listener's handler (server/public.c): one-click unsubscribe, apart
 * from the admin API.
 */
#ifndef SW_PUBLIC_H
#define SW_PUBLIC_H

#include "server/http.h"

/* ud: the struct sw_server. */
void sw_public_dispatch(void *ud, struct sw_http_req *req, struct sw_http_resp *resp);

#endif
