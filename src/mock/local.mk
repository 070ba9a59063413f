# mock module: tollgate-mock-llm, the mock LLM upstream for tests. Plain sockets, jansson
# and pthreads only: it does not link libtollgate.
bin_PROGRAMS += tollgate-mock-llm
tollgate_mock_llm_SOURCES = src/mock/main.c src/mock/handler.c src/mock/handler.h \
	src/mock/http.c src/mock/http.h src/mock/controls.c src/mock/controls.h \
	src/mock/dialects.c src/mock/dialects.h src/mock/stream.c src/mock/stream.h \
	src/mock/events.c src/mock/stats.c src/mock/stats.h src/mock/call.h
tollgate_mock_llm_CFLAGS = $(AM_CFLAGS)
tollgate_mock_llm_LDADD = $(JANSSON_LIBS) -lpthread
