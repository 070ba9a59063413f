noinst_LTLIBRARIES += libtg_router.la
libtg_router_la_SOURCES = src/router/router.c src/router/router.h src/router/routes.c
libtollgate_la_LIBADD += libtg_router.la
