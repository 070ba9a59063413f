# billing module: prices, charges, top-ups.
noinst_LTLIBRARIES += libtg_billing.la
libtg_billing_la_SOURCES = \
	src/billing/charge.c src/billing/charge.h
libtollgate_la_LIBADD += libtg_billing.la

check_PROGRAMS += tests/unit/test_charge
TESTS += tests/unit/test_charge
tests_unit_test_charge_SOURCES = tests/unit/test_charge.c tests/unit/cu_main.h
tests_unit_test_charge_CFLAGS = $(TG_TESTFLAGS)
tests_unit_test_charge_LDADD = libtg_billing.la libtg_relay.la libtg_util.la $(TG_LIBS) \
	$(CUNIT_LIBS)
libtg_billing_la_SOURCES += src/billing/topup.c src/billing/topup.h
check_PROGRAMS += tests/unit/test_topup
TESTS += tests/unit/test_topup
tests_unit_test_topup_SOURCES = tests/unit/test_topup.c tests/unit/cu_main.h
tests_unit_test_topup_CFLAGS = $(TG_TEST_CFLAGS)
tests_unit_test_topup_LDADD = libtg_billing.la libtg_store.la libtg_auth.la libtg_config.la \
	libtg_util.la $(TG_LIBS) $(CUNIT_LIBS)
