/*
 * log.h - process logging to stderr for the CLI and daemon. Library code logs at debug only;
 * run and task logs that users read go to the catalog (catalog.h), not here.
 */
#ifndef SW_LOG_H
#define SW_LOG_H

enum sw_log_level { SW_LOG_DEBUG, SW_LOG_INFO, SW_LOG_WARN, SW_LOG_ERROR };

void sw_log_set_level(enum sw_log_level lvl);
const char *sw_log_level_name(enum sw_log_level lvl);
void sw_log(enum sw_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sw_debug(...) sw_log(SW_LOG_DEBUG, __VA_ARGS__)
#define sw_info(...)  sw_log(SW_LOG_INFO, __VA_ARGS__)
#define sw_warn(...)  sw_log(SW_LOG_WARN, __VA_ARGS__)

#endif
