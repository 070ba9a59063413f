noinst_LTLIBRARIES += libtg_api.la
libtg_api_la_SOURCES = src/api/api.h src/api/authn.c src/api/status.c \
	src/api/client_auth.c src/api/admin_users.c
libtollgate_la_LIBADD += libtg_api.la
