# auth module: passwords, JWT, API keys, partner signatures, and the OpenSSL wrapper.
noinst_LTLIBRARIES += libtg_auth.la
libtg_auth_la_SOURCES = src/auth/crypto.c src/auth/crypto.h \
	src/auth/password.c src/auth/password.h src/auth/jwt.c src/auth/jwt.h \
	src/auth/apikey.c src/auth/apikey.h src/auth/extsig.c src/auth/extsig.h
libtollgate_la_LIBADD += libtg_auth.la

check_PROGRAMS += tests/unit/test_crypto tests/unit/test_auth
TESTS += tests/unit/test_crypto tests/unit/test_auth
tests_unit_test_crypto_SOURCES = tests/unit/test_crypto.c tests/unit/cu_main.h
tests_unit_test_crypto_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_crypto_LDADD = libtg_auth.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)
tests_unit_test_auth_SOURCES = tests/unit/test_auth.c tests/unit/cu_main.h
tests_unit_test_auth_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_auth_LDADD = libtg_auth.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)

# sealing row secrets with the master key
libtg_auth_la_SOURCES += src/auth/secretbox.c src/auth/secretbox.h
