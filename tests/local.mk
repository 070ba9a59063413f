# Fuzz targets (tests/fuzz/fuzz_*.c, each a LLVMFuzzerTestOneInput). make check replays
# every checked-in corpus through a plain main() (tests/fuzz/replay_main.c); configure
# --enable-fuzzers (CC=clang) builds the same targets against libFuzzer instead.
TG_FUZZ_TARGETS = sse money router body extsig config apikey jwt

if FUZZERS
TG_FUZZ_MAIN =
TG_FUZZ_LINK = -fsanitize=fuzzer
else
TG_FUZZ_MAIN = tests/fuzz/replay_main.c
TG_FUZZ_LINK =
endif

check_PROGRAMS += tests/fuzz/fuzz_sse tests/fuzz/fuzz_money tests/fuzz/fuzz_router \
	tests/fuzz/fuzz_body tests/fuzz/fuzz_extsig tests/fuzz/fuzz_config \
	tests/fuzz/fuzz_apikey tests/fuzz/fuzz_jwt
tests_fuzz_fuzz_sse_SOURCES = tests/fuzz/fuzz_sse.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_sse_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_sse_LDFLAGS = $(TG_FUZZ_LINK)
tests_fuzz_fuzz_money_SOURCES = tests/fuzz/fuzz_money.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_money_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_money_LDFLAGS = $(TG_FUZZ_LINK)
tests_fuzz_fuzz_router_SOURCES = tests/fuzz/fuzz_router.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_router_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_router_LDFLAGS = $(TG_FUZZ_LINK)
tests_fuzz_fuzz_body_SOURCES = tests/fuzz/fuzz_body.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_body_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_body_LDFLAGS = $(TG_FUZZ_LINK)
tests_fuzz_fuzz_extsig_SOURCES = tests/fuzz/fuzz_extsig.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_extsig_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_extsig_LDFLAGS = $(TG_FUZZ_LINK)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_config_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_config_LDFLAGS = $(TG_FUZZ_LINK)
tests_fuzz_fuzz_apikey_SOURCES = tests/fuzz/fuzz_apikey.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_apikey_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_apikey_LDFLAGS = $(TG_FUZZ_LINK)
tests_fuzz_fuzz_jwt_SOURCES = tests/fuzz/fuzz_jwt.c $(TG_FUZZ_MAIN)
tests_fuzz_fuzz_jwt_LDADD = libtollgate.la $(TG_LIBS)
tests_fuzz_fuzz_jwt_LDFLAGS = $(TG_FUZZ_LINK)

if !FUZZERS
TESTS += tests/fuzz/replay.sh
endif
AM_TESTS_ENVIRONMENT = TG_SRCDIR='$(abs_top_srcdir)'; TG_BUILDDIR='$(abs_top_builddir)'; \
	TG_FUZZ_TARGETS='$(TG_FUZZ_TARGETS)'; export TG_SRCDIR TG_BUILDDIR TG_FUZZ_TARGETS;

# The mock upstream's own self-test (needs curl; skips with 77 without it).
TESTS += tests/integration/mock-selftest.sh

# Layout of every C file (.clang-format).
TESTS += tests/format-check.sh
