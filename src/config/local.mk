noinst_LTLIBRARIES += libtg_config.la
libtg_config_la_SOURCES = src/config/config.c src/config/config.h
libtollgate_la_LIBADD += libtg_config.la

check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c tests/unit/cu_main.h
tests_unit_test_config_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_config_LDADD = libtg_config.la libtg_util.la $(CUNIT_LIBS)
