noinst_LTLIBRARIES += libtg_api.la
libtg_api_la_SOURCES = src/api/api.h src/api/authn.c src/api/status.c \
	src/api/client_auth.c src/api/admin_users.c \
	src/api/keys_common.c src/api/keys_common.h src/api/authn_key.c src/api/v1.c
libtollgate_la_LIBADD += libtg_api.la
libtg_api_la_SOURCES += src/api/admin_relay.c src/api/admin_money.c src/api/admin_common.c src/api/admin_common.h src/api/chanspec.c src/api/chanspec.h
libtg_api_la_SOURCES += src/api/authn_partner.c src/api/external.c src/api/external.h src/api/external_money.c src/api/external_tokens.c
libtg_api_la_SOURCES += src/api/client_register.c src/api/client_users.c \
	src/api/client_keys.c src/api/admin_portal.c src/api/portal_admin.h \
	src/api/portal_util.c src/api/portal_util.h src/api/portal_check.c \
	src/api/portal_check.h src/api/pow.c src/api/pow.h src/api/plans.c src/api/plans.h \
	src/api/mail.c src/api/mail.h

check_PROGRAMS += tests/unit/test_portal
TESTS += tests/unit/test_portal
tests_unit_test_portal_SOURCES = tests/unit/test_portal.c tests/unit/cu_main.h
tests_unit_test_portal_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_portal_LDADD = $(TG_TESTLIBS)
