noinst_LTLIBRARIES += libtg_store.la
libtg_store_la_SOURCES = src/store/store.h src/store/pool.c \
	src/store/migrate.c src/store/migrate.h \
	src/store/users.c src/store/users.h
libtollgate_la_LIBADD += libtg_store.la
