/* handler: serving one client connection of the mock upstream. */
#ifndef TG_MOCK_HANDLER_H
#define TG_MOCK_HANDLER_H

/* Serve requests on the connected socket fd until the peer leaves or a response must
 * close it, then close fd. key, when non-NULL, is the secret /v1 requests must carry
 * (borrowed; must outlive the call). */
void handler_serve(int fd, const char *key);

#endif
