noinst_LTLIBRARIES += libtg_server.la
libtg_server_la_SOURCES = src/server/request.c src/server/request.h \
	src/server/response.c src/server/handle.c src/server/worker.c \
	src/server/master.c src/server/server.h src/server/metrics.c src/server/metrics.h
libtollgate_la_LIBADD += libtg_server.la

bin_PROGRAMS += tollgate-fcgi
tollgate_fcgi_SOURCES = src/server/main.c
tollgate_fcgi_LDADD = libtollgate.la $(TG_LIBS) $(TCMALLOC_LIBS)

check_PROGRAMS += tests/unit/test_server
TESTS += tests/unit/test_server
tests_unit_test_server_SOURCES = tests/unit/test_server.c tests/unit/cu_main.h
tests_unit_test_server_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_server_LDADD = $(TG_TESTLIBS)
