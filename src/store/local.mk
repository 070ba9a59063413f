noinst_LTLIBRARIES += libtg_store.la
libtg_store_la_SOURCES = src/store/store.h src/store/pool.c \
	src/store/migrate.c src/store/migrate.h \
	src/store/users.c src/store/users.h \
	src/store/keys.c src/store/keys.h
libtollgate_la_LIBADD += libtg_store.la
libtg_store_la_SOURCES += src/store/billing.c src/store/billing.h src/store/journal.c \
	src/store/journal.h src/store/overage.c
libtg_store_la_SOURCES += src/store/channels.c src/store/channels.h
libtg_store_la_SOURCES += src/store/admin.c src/store/admin.h
libtg_store_la_SOURCES += src/store/ratelimit.c src/store/ratelimit.h
libtg_store_la_SOURCES += src/store/portal.c src/store/portal.h
libtg_store_la_SOURCES += src/store/reports.c src/store/reports.h
libtg_store_la_SOURCES += src/store/topups.c src/store/topups.h src/store/partners.c src/store/partners.h src/store/external.c src/store/external.h

check_PROGRAMS += tests/unit/test_journal
TESTS += tests/unit/test_journal
tests_unit_test_journal_SOURCES = tests/unit/test_journal.c tests/unit/cu_main.h
tests_unit_test_journal_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_journal_LDADD = $(TG_TESTLIBS)
