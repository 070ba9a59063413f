noinst_LTLIBRARIES += libtg_util.la
libtg_util_la_SOURCES = src/util/err.c src/util/err.h src/util/buf.c src/util/buf.h \
	src/util/log.c src/util/log.h src/util/str.c src/util/str.h
libtollgate_la_LIBADD += libtg_util.la

check_PROGRAMS += tests/unit/test_util
TESTS += tests/unit/test_util
tests_unit_test_util_SOURCES = tests/unit/test_util.c tests/unit/cu_main.h
tests_unit_test_util_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_util_LDADD = libtg_util.la $(CUNIT_LIBS)
