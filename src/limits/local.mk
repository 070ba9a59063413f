# limits module: per-key rpm / rpd / tpm / concurrency and login throttling.
noinst_LTLIBRARIES += libtg_limits.la
libtg_limits_la_SOURCES = src/limits/limits.h \
	src/limits/calc.c src/limits/calc.h \
	src/limits/ratelimit.c \
	src/limits/throttle.c src/limits/throttle.h
libtollgate_la_LIBADD += libtg_limits.la

check_PROGRAMS += tests/unit/test_limits
TESTS += tests/unit/test_limits
tests_unit_test_limits_SOURCES = tests/unit/test_limits.c tests/unit/cu_main.h
tests_unit_test_limits_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_limits_LDADD = libtg_limits.la libtg_store.la libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)
