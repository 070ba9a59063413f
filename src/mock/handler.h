/* handler: serving one client connection of the mock upstream. */
#ifndef TG_MOCK_HANDLER_H
#define TG_MOCK_HANDLER_H

#define HANDLER_FAULT_KEYS_MAX 32

/* A key that makes every /v1 request carrying it fail as if "fault=MODE" were given. */
struct handler_fault_key {
    char key[256];
    const char *mode; /* borrowed from argv; checked with controls_force_fault */
};

/* Who may call /v1, built before the threads start and read-only after. */
struct handler_auth {
    const char *key; /* the secret /v1 requests must carry; NULL: no auth */
    struct handler_fault_key faults[HANDLER_FAULT_KEYS_MAX];
    int nfaults;
};

/* Serve requests on the connected socket fd until the peer leaves or a response must
 * close it, then close fd. auth is borrowed and must outlive the call. */
void handler_serve(int fd, const struct handler_auth *auth);

#endif
