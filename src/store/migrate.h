/* migrate: apply db/NNNN_name.sql files in order, once each. */
#ifndef TG_MIGRATE_H
#define TG_MIGRATE_H

#include "store/store.h"

/* Apply every migration in dir not yet recorded in schema_migrations, in order, under a
 * named lock so two runs never interleave. *applied gets how many ran, *level the highest
 * recorded version. Returns 0 or -1 (err names the file). */
int store_migrate(struct store_conn *c, const char *dir, int *applied, int *level,
                  struct tg_err *err);
/* The highest applied version (0 if none). Returns 0 or -1. */
int store_schema_level(struct store_conn *c, int *level, struct tg_err *err);

#endif
