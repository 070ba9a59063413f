noinst_LTLIBRARIES += libtg_api.la
libtg_api_la_SOURCES = src/api/api.h src/api/authn.c src/api/status.c \
	src/api/client_auth.c src/api/admin_users.c \
	src/api/keys_common.c src/api/keys_common.h src/api/authn_key.c src/api/v1.c
libtollgate_la_LIBADD += libtg_api.la
libtg_api_la_SOURCES += src/api/admin_relay.c src/api/admin_money.c src/api/admin_common.c src/api/admin_common.h src/api/chanspec.c src/api/chanspec.h
libtg_api_la_SOURCES += src/api/authn_partner.c src/api/external.c src/api/external.h src/api/external_money.c src/api/external_tokens.c
