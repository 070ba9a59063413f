# relay module: upstream calls, stream parsing, token usage.
noinst_LTLIBRARIES += libtg_relay.la
libtg_relay_la_SOURCES = \
	src/relay/sse_parse.c src/relay/sse_parse.h \
	src/relay/usage.c src/relay/usage.h
libtollgate_la_LIBADD += libtg_relay.la

check_PROGRAMS += tests/unit/test_sse tests/unit/test_usage
TESTS += tests/unit/test_sse tests/unit/test_usage
tests_unit_test_sse_SOURCES = tests/unit/test_sse.c tests/unit/cu_main.h \
	tests/unit/fixtures_sse.h
tests_unit_test_sse_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_sse_LDADD = libtg_relay.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)
tests_unit_test_usage_SOURCES = tests/unit/test_usage.c tests/unit/cu_main.h \
	tests/unit/fixtures_sse.h
tests_unit_test_usage_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_usage_LDADD = libtg_relay.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)

# process-wide libcurl setup
libtg_relay_la_SOURCES += src/relay/global.c src/relay/jarena.c src/relay/jarena.h
libtg_relay_la_SOURCES += src/relay/urlcheck.c src/relay/urlcheck.h
check_PROGRAMS += tests/unit/test_urlcheck
TESTS += tests/unit/test_urlcheck
tests_unit_test_urlcheck_SOURCES = tests/unit/test_urlcheck.c tests/unit/cu_main.h
tests_unit_test_urlcheck_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_urlcheck_LDADD = libtg_relay.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)
libtg_relay_la_SOURCES += src/relay/relay.c src/relay/relay.h src/relay/relay_int.h \
	src/relay/relay_req.c src/relay/relay_stream.c src/relay/chancache.c \
	src/relay/chancache.h src/relay/upstream.c src/relay/upstream.h src/relay/usagelog.c \
	src/relay/usagelog.h
libtg_relay_la_SOURCES += src/relay/chantest.c
libtg_relay_la_SOURCES += src/relay/mail_smtp.c src/relay/mail_smtp.h
libtg_relay_la_SOURCES += src/relay/captcha.c src/relay/captcha.h
libtg_relay_la_SOURCES += src/relay/sse_write.c src/relay/sse_write.h
check_PROGRAMS += tests/unit/test_sse_write
TESTS += tests/unit/test_sse_write
tests_unit_test_sse_write_SOURCES = tests/unit/test_sse_write.c tests/unit/cu_main.h
tests_unit_test_sse_write_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_sse_write_LDADD = libtg_relay.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_chancache
TESTS += tests/unit/test_chancache
tests_unit_test_chancache_SOURCES = tests/unit/test_chancache.c tests/unit/cu_main.h
tests_unit_test_chancache_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_chancache_LDADD = $(TG_TESTLIBS)

check_PROGRAMS += tests/unit/test_jarena
TESTS += tests/unit/test_jarena
tests_unit_test_jarena_SOURCES = tests/unit/test_jarena.c tests/unit/cu_main.h
tests_unit_test_jarena_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_jarena_LDADD = libtg_relay.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)
